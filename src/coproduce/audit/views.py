"""Registry admins search the audit log."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coproduce.audit.events import kinds
from coproduce.audit.models import AuditEvent
from coproduce.audit.services import record
from coproduce.people.models import Role
from coproduce.platform.http import role_required


class AuditSearchForm(forms.Form):
    patient = forms.CharField(required=False, label=_("Patient registry ID"), max_length=16)
    actor = forms.CharField(required=False, label=_("Username"), max_length=150)
    # A callable: the kinds are read when the form is drawn, after every app's ready().
    event = forms.ChoiceField(required=False, choices=lambda: event_choices())
    since = forms.DateField(required=False, label=_("From (YYYY-MM-DD)"))
    until = forms.DateField(required=False, label=_("To (YYYY-MM-DD)"))

    def clean(self):
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The 'From' date must be on or before the 'To' date."))
        return cleaned


def event_choices() -> list[tuple[str, str]]:
    return [("", gettext("Any event")), *((kind, kind) for kind in kinds())]


@role_required(Role.REGISTRY_ADMIN)
def audit_search(request):
    form = AuditSearchForm(request.GET or None)
    events = AuditEvent.objects.select_related("patient").order_by("-at", "-id")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["patient"]:
            events = events.filter(patient__registry_id=data["patient"].strip().upper())
        if data["actor"]:
            events = events.filter(actor_username=data["actor"].strip())
        if data["event"]:
            events = events.filter(event=data["event"])
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"] + dt.timedelta(days=0))
        record(
            "audit.searched", actor=request.user, detail={k: str(v) for k, v in data.items() if v}
        )
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/search.html", {"form": form, "page": page})
