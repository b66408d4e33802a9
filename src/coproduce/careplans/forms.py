"""Forms of the care plan pages: they parse input; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from coproduce.careplans import taper
from coproduce.careplans.models import Decision, RequestKind

PACE_EXPLANATIONS = {
    "5-w4": "The gentlest: a small step each month. Good when you have taken opioids for years.",
    "10-m1": "What the CDC suggests after a year or more of use: about a tenth each month.",
    "5-w2": "Small steps, twice a month.",
    "10-w4": "A tenth every four weeks.",
    "10-w2": "The fastest safe option: a tenth every two weeks, for shorter use.",
}


def pace_key(pace: taper.Pace) -> str:
    interval = f"m{pace.every_months}" if pace.every_months else f"w{pace.every_weeks}"
    return f"{pace.percent.normalize():f}-{interval}"


PACES = {pace_key(p): p for p in taper.PACE_OPTIONS}


class TaperPlanForm(forms.Form):
    drug = forms.CharField(max_length=80, initial="oxycodone", help_text="e.g. oxycodone")
    unit = forms.ChoiceField(choices=[("mg", "mg"), ("mcg/hr", "mcg/hr (patch)")], initial="mg")
    daily_amount = forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=9, decimal_places=3, label="Total per day"
    )
    dose_unit = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=3,
        label="Smallest dose unit",
        help_text="The smallest tablet (or half tablet) or patch strength available.",
    )
    doses_per_day = forms.IntegerField(min_value=1, max_value=6, initial=2, label="Doses per day")
    pace = forms.ChoiceField(
        choices=[(k, p.label) for k, p in PACES.items()],
        widget=forms.RadioSelect,
        label="Pace chosen by the patient",
    )
    start_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    target_mme = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        initial=0,
        label="Goal (MME/day)",
        help_text="0 means: go as low as is comfortable, planned with the team near the end.",
    )

    def clean_pace(self) -> taper.Pace:
        return PACES[self.cleaned_data["pace"]]

    def regimen(self) -> taper.Regimen:
        data = self.cleaned_data
        return taper.Regimen(
            drug=data["drug"].strip().lower(),
            daily_amount=data["daily_amount"],
            dose_unit=data["dose_unit"],
            doses_per_day=1 if data["unit"] == "mcg/hr" else data["doses_per_day"],
            unit=data["unit"],
        )


class TaperRequestForm(forms.Form):
    kind = forms.ChoiceField(
        choices=RequestKind.choices, widget=forms.RadioSelect, label="What would you like?"
    )
    text = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything you want your team to know (optional)",
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), label="Your answer"
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    why = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why (needed when you do not follow the suggestion)",
    )


def today_in(zone) -> object:
    return timezone.localdate(timezone.now(), zone)
