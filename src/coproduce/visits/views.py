"""Visit pages: the shared dashboard, asking to be seen, pre-visit planning, visit records.

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
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coproduce.audit.services import record as audit
from coproduce.people.access import can_answer_for, get_patient_for, hidden_from_proxy
from coproduce.people.models import CARE_ROLES, CLINICAL_ROLES, PATIENT_SIDE_ROLES, QI_ROLES, Role
from coproduce.platform import clock
from coproduce.platform.http import role_required, show_service_error
from coproduce.platform.models import NotificationStatus
from coproduce.visits import collaborate, planning, records, services
from coproduce.visits import dashboard as dashboard_data
from coproduce.visits.forms import CommentForm, VisitRecordForm
from coproduce.visits.models import (
    Appointment,
    AppointmentStatus,
    RecordStatus,
    VisitRecord,
    VisitRequest,
    VisitRequestStatus,
)


@login_required
def dashboard(request, registry_id: str):
    visit_mode = request.GET.get("mode") == "visit"
    patient = get_patient_for(
        request.user,
        registry_id,
        detail={"page": "dashboard", "mode": "visit" if visit_mode else "full"},
    )
    context = dashboard_data.build(patient)
    dashboard_data.hide_from_proxy(context, *hidden_from_proxy(request.user, patient))
    context["print"] = dashboard_data.print_summary(context)
    context["visit_mode"] = visit_mode
    context["can_request"] = request.user.role == Role.PATIENT or (
        request.user.role == Role.FAMILY and can_answer_for(request.user, patient)
    )
    context["max_chars"] = services.VISIT_REQUEST_MAX_CHARS
    if context["can_request"] and not context["open_request"]:
        context["visit_target"], context["target_is_visit"] = services.visit_target(
            patient, context["today"]
        )
    context["is_self"] = request.user.pk == patient.user_id
    # get_patient_for lets a nurse or clinician in only when they are on the patient's team.
    context["is_team"] = request.user.role in CLINICAL_ROLES
    # The patient's (or parent's) view speaks to them: no queue counts or bare severity badges.
    context["patient_view"] = request.user.role in PATIENT_SIDE_ROLES
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
        show_service_error(request, error)
        return redirect("visits:dashboard", registry_id=registry_id)
    # The day's and month's names in the reader's language, as on the dashboard.
    when = {"when": date_format(visit_request.target_by, _("l j F"))}
    if created:
        messages.success(
            request,
            _("Thank you. Your care team has your request and aims to see you by %(when)s.") % when,
        )
    else:
        messages.info(
            request,
            _("Your care team already has your request; they aim to see you by %(when)s.") % when,
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
    audit("patient.listed", actor=request.user, detail={"registry_ids": ids, "page": "previsit"})
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
            reminder, created = services.queue_previsit_reminder(
                actor=request.user, appointment=appointment
            )
    except ValidationError as error:
        show_service_error(request, error)
    else:
        who = {"who": appointment.patient.display_name}
        said = (
            _("Reminder queued for %(who)s.") % who
            if created
            else _("A reminder for %(who)s is already queued.") % who
        )
        if reminder.status == NotificationStatus.PENDING and reminder.next_attempt_at > clock.now():
            # Held for the morning: never a message at night (clinic time).
            zone = appointment.care_team.site.zone
            said += " " + _("It will be sent at %(time)s.") % {
                "time": date_format(timezone.localtime(reminder.next_attempt_at, zone), "H:i")
            }
        messages.success(request, said)
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
        show_service_error(request, error)
    else:
        label = VisitRequestStatus(status).label.lower()
        messages.success(
            request,
            _("Request from %(name)s: %(status)s.")
            % {"name": visit_request.patient.display_name, "status": label},
        )
    return redirect("visits:previsit")


# --- The coproduced visit record -------------------------------------------------------


def _appointment_for(user, appointment_id: int, page: str) -> Appointment:
    """The appointment if `user` may see its patient (the read is audited); else 404."""
    registry_id = (
        Appointment.objects.filter(pk=appointment_id)
        .values_list("patient__registry_id", flat=True)
        .first()
    )
    if registry_id is None:
        raise Http404("Not found.")
    patient = get_patient_for(
        user, registry_id, detail={"page": page, "appointment": appointment_id}
    )
    appointment = Appointment.objects.select_related("clinician").get(pk=appointment_id)
    appointment.patient = patient
    return appointment


@role_required(*CARE_ROLES)
def record(request, appointment_id: int):
    appointment = _appointment_for(request.user, appointment_id, "visit-record")
    visit_record = VisitRecord.objects.filter(appointment=appointment).first()
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form = VisitRecordForm(request.POST, instance=visit_record)
        try:
            with transaction.atomic():
                if action == "attended":
                    if records.mark_attended(actor=request.user, appointment=appointment):
                        messages.success(
                            request, _("Marked as attended; the patient will be asked how it went.")
                        )
                    return redirect("visits:record", appointment_id=appointment.pk)
                if form.is_valid():
                    visit_record, _created = records.start_record(
                        actor=request.user, appointment=appointment
                    )
                    records.save_record(
                        actor=request.user,
                        visit_record=visit_record,
                        data=form.cleaned_data,
                        share=action == "share",
                    )
                    if action == "share":
                        messages.success(
                            request,
                            _("Shared: the patient can read the record and comment on it."),
                        )
                    else:
                        messages.success(request, _("Saved."))
                    return redirect("visits:record", appointment_id=appointment.pk)
        except ValidationError as error:
            show_service_error(request, error, form)
            # The failed save was rolled back, including a record it may have started.
            visit_record = VisitRecord.objects.filter(appointment=appointment).first()
    else:
        form = VisitRecordForm(instance=visit_record)
    if visit_record is None:
        # Not saved yet: show the patient's items as they would be copied on the first save.
        visit_record = records.unsaved_record(appointment)
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "record": visit_record,
        "form": form,
        "comments": list(visit_record.comments.all()) if visit_record.pk else [],
        "when": timezone.localtime(appointment.starts_at, appointment.patient.care_team.site.zone),
        "can_mark_attended": appointment.status == AppointmentStatus.BOOKED,
        "shared": visit_record.status == RecordStatus.SHARED,
    }
    return render(request, "visits/record_edit.html", context)


def _shared_record(user, appointment_id: int) -> VisitRecord:
    appointment = _appointment_for(user, appointment_id, "visit-summary")
    visit_record = (
        VisitRecord.objects.filter(appointment=appointment, status=RecordStatus.SHARED)
        .select_related("shared_by")
        .first()
    )
    if visit_record is None:  # a draft is the team's until shared: as if it did not exist
        raise Http404("Not found.")
    visit_record.appointment = appointment
    visit_record.patient = appointment.patient
    return visit_record


@login_required
def record_summary(request, appointment_id: int):
    visit_record = _shared_record(request.user, appointment_id)
    patient = visit_record.patient
    return render(
        request,
        "visits/record.html",
        {
            "record": visit_record,
            "patient": patient,
            "appointment": visit_record.appointment,
            "when": timezone.localtime(
                visit_record.appointment.starts_at, patient.care_team.site.zone
            ),
            "comments": list(visit_record.comments.all()),
            "can_comment": records.can_comment(request.user, visit_record),
            "is_self": request.user.pk == patient.user_id,
            "form": CommentForm(),
        },
    )


@login_required
@require_POST
def comment(request, appointment_id: int):
    visit_record = _shared_record(request.user, appointment_id)
    if not records.can_comment(request.user, visit_record):
        raise Http404("Not found.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                records.add_comment(
                    actor=request.user, visit_record=visit_record, body=form.cleaned_data["body"]
                )
        except ValidationError as error:
            show_service_error(request, error)
        else:
            messages.success(request, _("Thank you: your comment is with the care team."))
    else:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        show_service_error(request, " ".join(problems))
    return redirect("visits:record-summary", appointment_id=appointment_id)


# --- collaboRATE --------------------------------------------------------------------------


@role_required(*QI_ROLES)
def collaborate_report(request):
    qi = request.user.role == Role.QI_LEAD
    context = {
        "qi": qi,
        "minimum": collaborate.COLLABORATE_MIN_REPORTABLE,
        "period_days": collaborate.PERIOD_DAYS,
    }
    if qi:
        context["clinicians"] = collaborate.by_clinician()
        context["units"] = collaborate.by_unit()
    else:
        context["own"] = collaborate.for_clinician(request.user)
    audit(
        "collaborate.report_viewed",
        actor=request.user,
        detail={"scope": "clinicians and units" if qi else "own"},
    )
    return render(request, "visits/collaborate.html", context)
