"""Forms of the care plan pages: they parse input; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from coproduce.careplans import taper
from coproduce.careplans.goals import MEASURES
from coproduce.careplans.mme import DEFAULT_TABLE, MedicationMME, MMEInputError, daily_mme
from coproduce.careplans.models import Comparator, Decision, GoalStatus, RequestKind, Who

PACE_EXPLANATIONS = {
    "5-w4": _("The gentlest: a small step each month. Good when you have taken opioids for years."),
    "10-m1": _("What the CDC suggests after a year or more of use: about a tenth each month."),
    "5-w2": _("Small steps, twice a month."),
    "10-w4": _("A tenth every four weeks."),
    "10-w2": _("The fastest safe option: a tenth every two weeks, for shorter use."),
}


def pace_key(pace: taper.Pace) -> str:
    interval = f"m{pace.every_months}" if pace.every_months else f"w{pace.every_weeks}"
    return f"{pace.percent.normalize():f}-{interval}"


PACES = {pace_key(p): p for p in taper.PACE_OPTIONS}


class TaperPlanForm(forms.Form):
    drug = forms.CharField(
        max_length=80, initial="oxycodone", label=_("Drug"), help_text=_("e.g. oxycodone")
    )
    unit = forms.ChoiceField(
        choices=[("mg", "mg"), ("mcg/hr", _("mcg/hr (patch)"))], initial="mg", label=_("Unit")
    )
    daily_amount = forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=9, decimal_places=3, label=_("Total per day")
    )
    dose_unit = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=3,
        label=_("Smallest dose unit"),
        help_text=_("The smallest tablet (or half tablet) or patch strength available."),
    )
    doses_per_day = forms.IntegerField(
        min_value=1, max_value=6, initial=2, label=_("Doses per day")
    )
    pace = forms.ChoiceField(
        choices=[(k, p.label) for k, p in PACES.items()],
        widget=forms.RadioSelect,
        label=_("Pace chosen by the patient"),
    )
    start_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    target_mme = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        initial=0,
        label=_("Goal (MME/day)"),
        help_text=_("0 means: go as low as is comfortable, planned with the team near the end."),
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
        choices=RequestKind.choices, widget=forms.RadioSelect, label=_("What would you like?")
    )
    text = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Anything you want your team to know (optional)"),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), label=_("Your answer")
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    why = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why (needed when you do not follow the suggestion)"),
    )


class MedicationForm(forms.Form):
    """One medication line; opioid lines are checked by ``mme.daily_mme`` as they are parsed."""

    kind = forms.ChoiceField(
        choices=[
            ("opioid", _("Opioid (counted in the daily MME)")),
            ("other", _("Other pain medicine (no MME)")),
        ],
        initial="opioid",
        widget=forms.RadioSelect,
        label=_("Kind of medicine"),
    )
    drug = forms.CharField(
        max_length=80,
        label=_("Medicine"),
        help_text=_("Generic name, e.g. oxycodone."),
        widget=forms.TextInput(attrs={"list": "cp-drugs", "autocomplete": "off"}),
    )
    strength = forms.DecimalField(
        max_digits=9,
        decimal_places=3,
        label=_("Strength"),
        help_text=_("Per tablet, or patch rate."),
    )
    unit = forms.CharField(
        max_length=8,
        initial="mg",
        label=_("Unit"),
        help_text=_("mg, or mcg/hr for a patch."),
        widget=forms.TextInput(attrs={"list": "cp-units", "autocomplete": "off"}),
    )
    per_day = forms.DecimalField(
        required=False,
        max_digits=6,
        decimal_places=2,
        label=_("Doses per day"),
        help_text=_("Leave empty for a patch."),
    )
    started_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))

    line: MedicationMME | None = None

    def clean(self):
        data = super().clean() or {}
        needed = ("kind", "drug", "strength", "unit")
        if data.get("kind") != "opioid" or any(data.get(k) in (None, "") for k in needed):
            return data
        try:
            self.line = daily_mme(
                data["drug"],
                data["strength"],
                data["unit"],
                data.get("per_day"),
                table=DEFAULT_TABLE,
            )
        except MMEInputError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message())
        return data

    def record_kwargs(self) -> dict:
        """The keyword arguments ``services.record_medication`` takes."""
        data = self.cleaned_data
        return {
            "drug": data["drug"].strip().lower(),
            "strength": data["strength"],
            "unit": data["unit"].strip(),
            "per_day": data.get("per_day"),
            "started_on": data["started_on"],
            "is_opioid": data["kind"] == "opioid",
        }


class StopMedicationForm(forms.Form):
    stopped_on = forms.DateField(
        label=_("First day without it"), widget=forms.DateInput(attrs={"type": "date"})
    )


class MedicationCheckForm(forms.Form):
    medication = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What is different?"),
    )


MEASURE_CHOICES = [("", "No score"), *MEASURES.items()]


class GoalForm(forms.Form):
    text = forms.CharField(max_length=300, label=_("The goal"))
    instrument_id = forms.ChoiceField(choices=MEASURE_CHOICES, required=False, label=_("Score"))
    comparator = forms.ChoiceField(
        choices=[("", "—"), *Comparator.choices], required=False, label=_("Aim for")
    )
    target_value = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=8, decimal_places=2, label=_("Number")
    )
    status = forms.ChoiceField(
        choices=GoalStatus.choices,
        initial=GoalStatus.ACTIVE,
        widget=forms.RadioSelect,
        label=_("Where it stands"),
    )


class ActionItemForm(forms.Form):
    who = forms.ChoiceField(choices=Who.choices, widget=forms.RadioSelect, label=_("Who"))
    what = forms.CharField(max_length=300, label=_("What"))
    due_on = forms.DateField(
        required=False,
        label=_("By when (optional)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
