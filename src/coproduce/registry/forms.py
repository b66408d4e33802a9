"""Forms of the registry pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from coproduce.registry.actions import annotation_sites, may_annotate_network

NETWORK = ""


class PdsaForm(forms.Form):
    """A change tested in a PDSA cycle; the site list depends on who annotates."""

    site = forms.ChoiceField(label=_("Where was it tested?"), required=False)
    on = forms.DateField(
        label=_("Date the change started"), widget=forms.DateInput(attrs={"type": "date"})
    )
    title = forms.CharField(label=_("What change was tested?"), max_length=200)
    note = forms.CharField(
        label=_("Notes (what you predicted, what happened)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    new_phase = forms.BooleanField(
        label=_("Recalculate the control limits from this month (the process has changed)"),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites = {str(s.pk): s for s in annotation_sites(user)}
        choices = [(pk, s.name) for pk, s in self.sites.items()]
        if may_annotate_network(user):
            choices = [(NETWORK, "The whole network"), *choices]
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ChoiceField)
        site_field.choices = choices
        self.fields["site"].required = not may_annotate_network(user)

    def clean_site(self):
        value = self.cleaned_data.get("site") or NETWORK
        return None if value == NETWORK else self.sites[value]
