"""Pages where the team enters disease activity at the visit (see ``visits.measures``).

Each POST with ``action=calculate`` answers the indices computed by the server; a request
from the page's script (``X-Requested-With: fetch``) gets only that part of the page.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coproduce.careplans.goals import is_team_member
from coproduce.checkins.services import CheckinInvalid
from coproduce.instruments.library import get_definition
from coproduce.people.access import get_patient_for
from coproduce.platform.http import show_service_error
from coproduce.visits import measures


def _team_patient(request, registry_id: str, page: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": page})
    if not is_team_member(request.user, patient):
        raise Http404("Not found.")
    return patient


def _is_fragment(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _save(request, patient, answers, key: str) -> bool:
    """Store ``answers``; return whether they were saved (else the page shows why not)."""
    if not answers:
        show_service_error(request, _("Nothing to save yet: enter the values an index needs."))
        return False
    try:
        with transaction.atomic():
            measures.record_measures(patient, answers, by=request.user, idempotency_key=key)
    except CheckinInvalid as error:
        show_service_error(request, error)
        return False
    return True


def _saved(request, patient, answers):
    names = ", ".join(get_definition(i).title for i in answers)
    messages.success(
        request, _("Saved: %(names)s. They are on the dashboard trends.") % {"names": names}
    )
    return redirect("visits:dashboard", registry_id=patient.registry_id)


@login_required
@require_http_methods(["GET", "POST"])
def joints(request, registry_id: str):
    patient = _team_patient(request, registry_id, "measures-ra")
    entry = measures.read_ra(request.POST) if request.method == "POST" else measures.read_ra({})
    answers = measures.ra_answers(entry)
    entry_error = " ".join(dict.fromkeys(entry.errors.values()))
    refused = False
    if not entry.errors and request.method == "POST" and request.POST.get("action") == "save":
        if _save(request, patient, answers, request.POST.get("key", "")):
            return _saved(request, patient, answers)
        refused = True
    context = {
        "patient": patient,
        "entry": entry,
        "computed": measures.compute(answers, measures.RA_INDICES),
        "entry_error": entry_error,
        "key": request.POST.get("key") or uuid.uuid4().hex,
    }
    if _is_fragment(request):
        return render(request, "visits/_measures_result.html", context)
    context["joints"] = measures.JOINTS
    context["number_fields"] = [
        (name, label, hint, request.POST.get(name, ""))
        for name, label, hint in measures.number_fields()
    ]
    context["tender"] = set(entry.tender)
    context["swollen"] = set(entry.swollen)
    status = 400 if entry_error or refused else 200
    return render(request, "visits/measures_ra.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ibd(request, registry_id: str, index: str):
    if index not in measures.IBD_INDICES:
        raise Http404("Not found.")
    patient = _team_patient(request, registry_id, f"measures-{index}")
    definition = get_definition(index)
    given = measures.read_items(definition, request.POST) if request.method == "POST" else {}
    answers = {index: given} if given else {}
    refused = False
    if request.method == "POST" and request.POST.get("action") == "save":
        if _save(request, patient, answers, request.POST.get("key", "")):
            return _saved(request, patient, answers)
        refused = True
    context = {
        "patient": patient,
        "computed": measures.compute(answers, (index,)),
        "key": request.POST.get("key") or uuid.uuid4().hex,
    }
    if _is_fragment(request):
        return render(request, "visits/_measures_result.html", context)
    context["definition"] = definition
    context["fields"] = measures.item_fields(definition, given)
    return render(request, "visits/measures_ibd.html", context, status=400 if refused else 200)
