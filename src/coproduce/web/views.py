"""Login, logout, and the home page each role lands on (the patient's and the family's among
them)."""

from __future__ import annotations

import django_otp
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from coproduce.accounts import mfa, oidc
from coproduce.accounts.login import LoginForm
from coproduce.accounts.middleware import mfa_exempt
from coproduce.audit.services import record
from coproduce.checkins import previsit
from coproduce.checkins.selectors import due_for_patient
from coproduce.people.access import get_patient_for, may_download_record, patients_visible_to
from coproduce.people.models import Role
from coproduce.people.services import patient_summary
from coproduce.platform.http import role_required
from coproduce.registry.summary import site_condition_counts
from coproduce.visits.records import latest_shared

HOME_BY_ROLE = {
    Role.PATIENT: "my-home",
    Role.FAMILY: "family-home",
    Role.CLINICIAN: "team-patients",
    Role.NURSE: "team-patients",
    Role.COORDINATOR: "research:studies",
    Role.INVESTIGATOR: "research:studies",
    Role.STATISTICIAN: "research:studies",
    Role.RESEARCHER: "research-home",
    Role.QI_LEAD: "registry-home",
    Role.REGISTRY_ADMIN: "audit-search",
    Role.PANELIST: "panel-home",
}


@login_required
def home(request):
    return redirect(HOME_BY_ROLE[request.user.role])


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        login(request, form.user)
        if form.device is not None:
            mfa.audit_code_use(form.user, form.device)
            django_otp.login(request, form.device)
        target = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return redirect(target)
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/login.html",
        {"form": form, "next": request.GET.get("next", ""), "sso": oidc.button_label()},
        status=status,
    )


@mfa_exempt
@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


@role_required(Role.RESEARCHER)
def research_home(request):
    return render(
        request,
        "web/research_home.html",
        {"rows": site_condition_counts()},
    )


@role_required(Role.QI_LEAD)
def registry_home(request):
    return render(
        request,
        "web/registry_home.html",
        {"rows": site_condition_counts()},
    )


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


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
    return render(request, "web/my_home.html", context)


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
        request, "web/family_home.html", {"patients": patients, "downloadable": downloadable}
    )
