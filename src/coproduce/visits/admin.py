"""The Django admin for a site's visit settings (SitePolicy): pre-visit timing, seen-within."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from coproduce.visits.models import SitePolicy

#: The sensible ranges: a check-in sent more than a month ahead is forgotten by the visit.
DAYS_BEFORE = (1, 30)
WORKING_DAYS = (1, 60)


class SitePolicyForm(forms.ModelForm):
    class Meta:
        model = SitePolicy
        fields = ("site", "previsit_days_before", "target_working_days")

    def _in_range(self, name: str, low: int, high: int, message: str) -> int:
        value = self.cleaned_data[name]
        if not low <= value <= high:
            raise ValidationError(message % {"low": low, "high": high})
        return value

    def clean_previsit_days_before(self) -> int:
        return self._in_range(
            "previsit_days_before",
            *DAYS_BEFORE,
            _("Send the pre-visit check-in %(low)s to %(high)s days before the visit."),
        )

    def clean_target_working_days(self) -> int:
        return self._in_range(
            "target_working_days",
            *WORKING_DAYS,
            _("Give a target of %(low)s to %(high)s working days."),
        )


@admin.register(SitePolicy)
class SitePolicyAdmin(admin.ModelAdmin):
    form = SitePolicyForm
    list_display = ("site", "previsit_days_before", "target_working_days")
    list_select_related = ("site",)
