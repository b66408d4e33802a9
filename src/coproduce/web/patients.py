"""Pages about patients: each patient-side home page, the care team's list and the patient
page. They draw on check-ins and visits, so they live in the face, not in `people`; every
read goes through people's access helpers and is audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from coproduce.audit.services import record
from coproduce.checkins import previsit
from coproduce.checkins.scheduling import skipped_for_language
from coproduce.checkins.selectors import due_for_patient
from coproduce.people.access import get_patient_for, may_download_record, patients_visible_to
from coproduce.people.models import CARE_ROLES, Role
from coproduce.people.services import patient_summary
from coproduce.platform import clock
from coproduce.platform.http import role_required
from coproduce.visits.records import latest_shared


@role_required(Role.PATIENT)
def my_home(request):
    patient = getattr(request.user, "patient", None)
    if patient is None:
        raise Http404("No patient record is linked to this login.")
    patient = get_patient_for(request.user, patient.registry_id)
    context = patient_summary(patient)
    context["due_checkins"] = due_for_patient(patient)
    planned = previsit.for_appointments(context["appointments"])
    for appointment in context["appointments"]:
        appointment.previsit = planned.get(appointment.pk)
    context["decided"] = latest_shared(patient.pk)
    return render(request, "people/my_home.html", context)


@role_required(Role.FAMILY)
def family_home(request):
    patients = list(
        patients_visible_to(request.user).select_related("care_team__site").order_by("given_name")
    )
    record(
        "patient.listed",
        actor=request.user,
        detail={"registry_ids": [p.registry_id for p in patients], "page": "family-home"},
    )
    downloadable = {p.pk for p in patients if may_download_record(request.user, p)}
    return render(
        request, "people/family_home.html", {"patients": patients, "downloadable": downloadable}
    )


@role_required(*CARE_ROLES)
def team_patients(request):
    patients = list(
        patients_visible_to(request.user)
        .select_related("care_team__site")
        .order_by("family_name", "given_name")
    )
    record(
        "patient.listed",
        actor=request.user,
        detail={"registry_ids": [p.registry_id for p in patients], "page": "team-patients"},
    )
    return render(
        request,
        "people/team_patients.html",
        {"patients": patients, "teams": request.user.care_teams.select_related("site")},
    )


@login_required
def patient_detail(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id)
    if request.user.role == Role.PATIENT:
        return redirect("my-home")
    context = patient_summary(patient)
    context["today"] = clock.today()
    context["not_in_language"] = skipped_for_language(patient)
    return render(request, "people/patient_detail.html", context)
