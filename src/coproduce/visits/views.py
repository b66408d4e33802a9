"""Visit pages: the shared dashboard, asking to be seen, and pre-visit planning.

Views parse and delegate: reads go through the access helpers (audited), changes through
`visits.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.people.access import can_answer_for, get_patient_for
from coproduce.people.models import CARE_ROLES, Role
from coproduce.visits import dashboard as dashboard_data
from coproduce.visits import planning, services
from coproduce.visits.models import Appointment, VisitRequest, VisitRequestStatus
from coproduce.web.decorators import role_required


@login_required
def dashboard(request, registry_id: str):
    visit_mode = request.GET.get("mode") == "visit"
    patient = get_patient_for(
        request.user,
        registry_id,
        detail={"page": "dashboard", "mode": "visit" if visit_mode else "full"},
    )
    context = dashboard_data.build(patient)
    context["visit_mode"] = visit_mode
    context["can_request"] = request.user.role == Role.PATIENT or (
        request.user.role == Role.FAMILY and can_answer_for(request.user, patient)
    )
    context["max_chars"] = services.VISIT_REQUEST_MAX_CHARS
    return render(request, "visits/dashboard.html", context)


@login_required
@require_POST
def request_visit(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "request-visit"})
    if not (request.user.role == Role.PATIENT or can_answer_for(request.user, patient)):
        raise Http404("Not found.")
    try:
        with transaction.atomic():
            visit_request, created = services.request_visit(
                actor=request.user, patient=patient, text=request.POST.get("text", "")
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("visits:dashboard", registry_id=registry_id)
    when = f"{visit_request.target_by:%A %-d %B}"
    if created:
        messages.success(
            request,
            f"Thank you. Your care team has your request and aims to see you by {when}.",
        )
    else:
        messages.info(
            request, f"Your care team already has your request; they aim to see you by {when}."
        )
    return redirect("visits:dashboard", registry_id=registry_id)


@role_required(*CARE_ROLES)
def previsit(request):
    try:
        quiet_weeks = max(1, min(int(request.GET.get("weeks", planning.DEFAULT_QUIET_WEEKS)), 52))
    except ValueError:
        quiet_weeks = planning.DEFAULT_QUIET_WEEKS
    context = planning.day_list(request.user, quiet_weeks=quiet_weeks)
    ids = sorted(
        {r.appointment.patient.registry_id for r in context["rows"]}
        | {v.patient.registry_id for v in context["requests"]}
    )
    record("patient.listed", actor=request.user, detail={"registry_ids": ids, "page": "previsit"})
    return render(request, "visits/previsit.html", context)


def _team_appointment(user, pk: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("patient__care_team__site"),
        pk=pk,
        care_team__in=user.care_teams.all(),
    )


@role_required(*CARE_ROLES)
@require_POST
def remind(request, pk: int):
    appointment = _team_appointment(request.user, pk)
    try:
        with transaction.atomic():
            _, created = services.queue_previsit_reminder(
                actor=request.user, appointment=appointment
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        who = appointment.patient.display_name
        messages.success(
            request,
            f"Reminder queued for {who}."
            if created
            else f"A reminder for {who} is already queued.",
        )
    return redirect("visits:previsit")


@role_required(*CARE_ROLES)
@require_POST
def update_request(request, pk: int):
    visit_request = get_object_or_404(
        VisitRequest.objects.select_related("patient"),
        pk=pk,
        patient__care_team__in=request.user.care_teams.all(),
    )
    status = request.POST.get("status", "")
    try:
        with transaction.atomic():
            services.update_visit_request(
                actor=request.user, visit_request=visit_request, status=status
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = VisitRequestStatus(status).label.lower()
        messages.success(request, f"Request from {visit_request.patient.display_name}: {label}.")
    return redirect("visits:previsit")
