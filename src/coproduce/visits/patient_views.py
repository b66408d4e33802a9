"""The care team's list of patients and the patient page. They draw on check-ins and visits,
so they live here, not in `people`; every read goes through people's access helpers and is
audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from coproduce.audit.services import record
from coproduce.checkins.scheduling import skipped_for_language
from coproduce.people.access import get_patient_for, patients_visible_to
from coproduce.people.models import CARE_ROLES, Role
from coproduce.people.services import patient_summary
from coproduce.platform import clock
from coproduce.platform.http import role_required


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
        "visits/team_patients.html",
        {"patients": patients, "teams": request.user.care_teams.select_related("site")},
    )


@login_required
def patient_detail(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id)
    if request.user.role == Role.PATIENT:
        return redirect("my-home")
    context = patient_summary(patient)
    context["today"] = clock.clinic_today(patient.care_team.site)
    context["not_in_language"] = skipped_for_language(patient)
    return render(request, "visits/patient_detail.html", context)
