"""State changes for visits: each one saves, audits, and leaves the transaction to the caller."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coproduce.audit.services import record
from coproduce.careplans.models import Goal, GoalKind, GoalStatus
from coproduce.careplans.services import TaperStatus, medications_on, mme_of, taper_status
from coproduce.checkins import previsit
from coproduce.checkins.models import OPEN_STATUSES, Invitation, InvitationStatus
from coproduce.checkins.outbox import (
    PREVISIT_REMINDER_KEY,
    next_reminder,
    notify,
    recipient_for,
)
from coproduce.people.models import Patient, User
from coproduce.platform import charts, clock
from coproduce.platform.models import Notification
from coproduce.visits import clinical
from coproduce.visits.models import (
    Appointment,
    AppointmentStatus,
    SitePolicy,
    VisitRequest,
    VisitRequestStatus,
)

DEFAULT_TARGET_WORKING_DAYS = 10
VISIT_REQUEST_MAX_CHARS = 500


def _num(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _dose(line) -> str:
    if line.per_day is None:  # a patch: the strength is already a rate
        return f"{_num(line.strength)} {line.unit}"
    return _("%(strength)s %(unit)s, %(n)s a day") % {
        "strength": _num(line.strength),
        "unit": line.unit,
        "n": _num(line.per_day),
    }


def _taper_text(status: TaperStatus) -> str:
    if not status.has_plan:
        return status.plan_status_label
    text = status.plan_status_label
    if status.next_step_on is not None and status.next_step_mme is not None:
        text += _("; next step on %(day)s to %(mme)s MME") % {
            "day": date_format(status.next_step_on, _("j F Y")),
            "mme": _num(status.next_step_mme),
        }
    if status.open_requests:
        n = status.open_requests
        text += ngettext(
            "; %(n)s request waiting for the care team",
            "; %(n)s requests waiting for the care team",
            n,
        ) % {"n": n}
    return text


def careplans_summary(patient: Patient, today: dt.date | None = None) -> dict[str, Any]:
    """Medications with per-line and total MME, taper status, goals and chart targets.

    A fixed number of queries (medications, the taper plan and its next step and requests,
    goals), whatever the length of the patient's history.
    """
    today = today or clock.clinic_today(patient.care_team.site)
    meds = medications_on(patient, today)
    opioids = [m for m in meds if m.is_opioid]
    scored = dict(zip((m.pk for m in opioids), mme_of(opioids).medications, strict=True))
    medications = []
    for med in meds:
        line = scored.get(med.pk)
        medications.append(
            {
                "name": line.drug if line else med.drug,
                "dose": _dose(line or med),
                "mme": line.mme if line else None,
                "mme_text": _num(line.mme) if line and line.mme is not None else "",
                "opioid": med.is_opioid,
            }
        )
    status = taper_status(patient, today)
    patient_goals: list[dict[str, str]] = []
    clinical_targets: list[dict[str, str]] = []
    chart_targets: dict[str, list[charts.Target]] = {}
    for goal in Goal.objects.filter(patient=patient, status=GoalStatus.ACTIVE).order_by(
        "created_at", "pk"
    ):
        mine = goal.kind == GoalKind.PATIENT
        measured = bool(goal.instrument_id) and goal.target_value is not None
        target = (
            f"{clinical.info(goal.instrument_id).short} {goal.get_comparator_display()} "
            f"{_num(goal.target_value)}"
            if measured
            else ""
        )
        (patient_goals if mine else clinical_targets).append({"text": goal.text, "target": target})
        if measured:
            chart_targets.setdefault(goal.instrument_id, []).append(
                charts.Target(
                    value=float(goal.target_value),  # type: ignore[arg-type]
                    comparator=goal.get_comparator_display(),
                    kind="goal" if mine else "target",
                    text=goal.text,
                )
            )
    return {
        "medications": medications,
        "total_mme": status.current_mme,
        "total_mme_text": _num(status.current_mme),
        "taper": status,
        "taper_status": _taper_text(status),
        "patient_goals": patient_goals,
        "clinical_targets": clinical_targets,
        "goals": [g["text"] for g in patient_goals + clinical_targets],
        "chart_targets": chart_targets,
    }


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`; public holidays count."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def target_working_days(patient: Patient) -> int:
    policy = SitePolicy.objects.filter(site_id=patient.care_team.site_id).first()
    return policy.target_working_days if policy else DEFAULT_TARGET_WORKING_DAYS


def visit_target(patient: Patient, today: dt.date) -> tuple[dt.date, bool]:
    """(the day the team aims to see the patient by, whether that is the booked visit).

    The site's working-day target, unless the next booked appointment comes sooner: then
    the team aims for that visit rather than promising an extra one.
    """
    target = add_working_days(today, target_working_days(patient))
    zone = patient.care_team.site.zone
    booked = (
        Appointment.objects.filter(
            patient=patient, status=AppointmentStatus.BOOKED, starts_at__gt=clock.now()
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if booked is not None and timezone.localtime(booked, zone).date() <= target:
        return timezone.localtime(booked, zone).date(), True
    return target, False


def request_visit(*, actor: User, patient: Patient, text: str) -> tuple[VisitRequest, bool]:
    """Ask for the patient to be seen; return (request, created). An open request is reused."""
    text = (text or "").strip()
    if len(text) > VISIT_REQUEST_MAX_CHARS:
        raise ValidationError(
            f"Please keep it to {VISIT_REQUEST_MAX_CHARS} characters; "
            "you can tell the team more when they contact you."
        )
    existing = VisitRequest.objects.filter(patient=patient, status=VisitRequestStatus.OPEN).first()
    if existing is not None:
        return existing, False
    today = clock.clinic_today(patient.care_team.site)
    try:
        # A savepoint, so that a lost race on the one-open-request constraint leaves the
        # caller's transaction usable.
        with transaction.atomic():
            visit_request = VisitRequest.objects.create(
                patient=patient,
                requested_by=actor,
                text=text,
                target_by=visit_target(patient, today)[0],
            )
    except IntegrityError:
        return VisitRequest.objects.get(patient=patient, status=VisitRequestStatus.OPEN), False
    record(
        "visit.requested",
        actor=actor,
        patient=patient,
        acting_for=patient if actor.pk != patient.user_id else None,
        obj=visit_request,
        detail={"target_by": visit_request.target_by.isoformat(), "chars": len(text)},
    )
    return visit_request, True


def update_visit_request(*, actor: User, visit_request: VisitRequest, status: str) -> VisitRequest:
    """Mark a request as booked (scheduled) or closed; only open requests move on."""
    if status not in (VisitRequestStatus.SCHEDULED, VisitRequestStatus.CLOSED):
        raise ValidationError(_("A request can be marked as booked or closed."))
    if visit_request.status == VisitRequestStatus.CLOSED:
        raise ValidationError(_("This request is already closed."))
    before = visit_request.status
    visit_request.status = status
    fields = ["status"]
    if status == VisitRequestStatus.CLOSED:
        visit_request.closed_at = clock.now()
        visit_request.closed_by = actor
        fields += ["closed_at", "closed_by"]
    visit_request.save(update_fields=fields)
    record(
        "visit_request.updated",
        actor=actor,
        patient=visit_request.patient,
        obj=visit_request,
        detail={"from": before, "to": status},
    )
    return visit_request


def reminder_key(appointment: Appointment) -> str:
    return f"{PREVISIT_REMINDER_KEY}{appointment.pk}"


def queue_previsit_reminder(*, actor: User, appointment: Appointment) -> tuple[Notification, bool]:
    """Send the pre-visit check-in's link now, once; a second click finds the first.

    The message carries a fresh single-use link to the appointment's pre-visit invitation
    (planned now if it was not yet), and the check-in is open on the patient's home from now.
    Nothing goes at night: clicked between 20:00 and 08:00 clinic time, the message is held
    until 08:00 (the row's `next_attempt_at` says when). The automatic reminders follow it.
    """
    patient = appointment.patient
    existing = Notification.objects.filter(dedupe_key=reminder_key(appointment)).first()
    if existing is not None:
        return existing, False
    if recipient_for(patient) is None:
        raise ValidationError(
            _("%(who)s has no e-mail address or phone number for a reminder.")
            % {"who": patient.registry_id}
        )
    now = clock.now()
    if appointment.starts_at <= now or appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError(_("This visit is not coming up: there is nothing to remind of."))
    previsit.sync(appointment, now=now)
    invitation = previsit.invitation_of(appointment)
    if invitation is not None and invitation.status == InvitationStatus.COMPLETED:
        raise ValidationError(
            _("%(who)s has already answered the check-in before this visit.")
            % {"who": patient.display_name}
        )
    if invitation is None or invitation.status not in OPEN_STATUSES:
        invitation = Invitation.objects.create(
            patient=patient,
            appointment=appointment,
            instruments=[previsit.PREVISIT],
            due_at=now,
            expires_at=appointment.starts_at,
        )
    if invitation.status == InvitationStatus.SCHEDULED:
        # Sent now, by the nurse's hand: open on the patient's home from this moment.
        invitation.status = InvitationStatus.SENT
        invitation.due_at = min(invitation.due_at, now)
        invitation.sent_at = now
        invitation.next_reminder_at = next_reminder(invitation, invitation.reminders_sent)
        invitation.save(update_fields=["status", "due_at", "sent_at", "next_reminder_at"])
    send_at = previsit.daytime(now, appointment.care_team.site.zone)
    sent = notify(invitation, "reminder", reminder_key(appointment), now, send_at=send_at)
    assert sent is not None  # the recipient was checked above
    notification, created = sent
    if created:
        record(
            "visit.reminder_queued",
            actor=actor,
            patient=patient,
            obj=notification,
            detail={"appointment": appointment.pk, "channel": notification.channel},
        )
    return notification, created
