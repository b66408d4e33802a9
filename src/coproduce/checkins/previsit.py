"""The pre-visit check-in of every appointment: planned, re-planned and cancelled with it.

Every booked appointment gets one invitation asking the pre-visit block (the number ONE
concern or goal, how the patient likes to partner, their agenda), due the site's
`previsit_days_before` days before the visit at 09:00 clinic time, reminded, and closed when
the visit starts. Nothing is sent at night: due times and reminders fall between 08:00 and
20:00 in the clinic's time zone, and the dispatcher holds a pre-visit message that comes due
at night until the morning. A patient whose program has a "before each appointment"
schedule is asked that schedule's instruments (with the same timing); the schedule no longer
plans invitations of its own (`scheduling.plan`), so nobody is asked twice.

Pre-visit invitations have no schedule (`schedule` is null): `scheduling.sync_patient` leaves
them alone, and this module is the one place that changes them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Q

from coproduce.checkins.models import (
    OPEN_STATUSES,
    Invitation,
    InvitationStatus,
    Schedule,
    ScheduleKind,
)
from coproduce.people.models import Patient
from coproduce.platform import clock
from coproduce.visits.models import Appointment, AppointmentStatus, SitePolicy

PREVISIT = "previsit"
DEFAULT_DAYS_BEFORE = 3
DAY_STARTS, DAY_ENDS = dt.time(8), dt.time(20)
DUE_AT = dt.time(9)
DEFAULT_REMINDER_DAYS = (1, 2)
# How far ahead the hourly job keeps pre-visit invitations in line with appointments.
AHEAD = dt.timedelta(days=60)


def is_daytime(at: dt.datetime, zone: ZoneInfo) -> bool:
    """True when `at` falls between 08:00 and 20:00 on the clinic's clock."""
    return DAY_STARTS <= at.astimezone(zone).time() < DAY_ENDS


def daytime(at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first moment at or after `at` that is between 08:00 and 20:00 clinic time."""
    local = at.astimezone(zone)
    if local.time() < DAY_STARTS:
        return dt.datetime.combine(local.date(), DAY_STARTS, tzinfo=zone)
    if local.time() >= DAY_ENDS:
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), DAY_STARTS, tzinfo=zone)
    return at


def local_days_after(at: dt.datetime, days: int, zone: ZoneInfo) -> dt.datetime:
    """`days` calendar days after `at` at the same wall-clock time (DST moves no message)."""
    local = at.astimezone(zone)
    return dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time(), tzinfo=zone)


def days_before(site_id: int) -> int:
    policy = SitePolicy.objects.filter(site_id=site_id).only("previsit_days_before").first()
    return policy.previsit_days_before if policy else DEFAULT_DAYS_BEFORE


def due_at(
    appointment: Appointment, *, now: dt.datetime, days: int, at: dt.time = DUE_AT
) -> dt.datetime | None:
    """When the pre-visit check-in of `appointment` is sent; None if no daytime is left."""
    zone = appointment.care_team.site.zone
    day = appointment.starts_at.astimezone(zone).date() - dt.timedelta(days=days)
    planned = dt.datetime.combine(day, at, tzinfo=zone)
    planned = daytime(max(planned, now), zone)
    return planned if planned < appointment.starts_at else None


def asks(patient: Patient) -> tuple[list[str], list[int], dt.time]:
    """(instruments, reminder days, time of day) for `patient`'s pre-visit check-ins."""
    schedule = (
        Schedule.objects.filter(
            active=True,
            kind=ScheduleKind.PREVISIT,
            program__enrollments__patient=patient,
            program__enrollments__ended_on__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    if schedule is None:
        return [PREVISIT], list(DEFAULT_REMINDER_DAYS), DUE_AT
    instruments = list(schedule.instruments)
    if PREVISIT not in instruments:
        instruments.insert(0, PREVISIT)
    local_time = schedule.local_time
    if isinstance(local_time, str):
        local_time = dt.time.fromisoformat(local_time)
    return instruments, list(schedule.reminder_days or DEFAULT_REMINDER_DAYS), local_time


def invitation_of(appointment: Appointment) -> Invitation | None:
    """The pre-visit invitation of `appointment`, the newest if it was ever re-opened."""
    rows = Invitation.objects.filter(appointment=appointment, schedule__isnull=True).order_by("-pk")
    return next((inv for inv in rows if PREVISIT in inv.instruments), None)


def for_appointments(appointments: list[Appointment]) -> dict[int, Invitation]:
    """{appointment id: its pre-visit invitation} in one query."""
    out: dict[int, Invitation] = {}
    rows = Invitation.objects.filter(
        appointment__in=[a.pk for a in appointments], schedule__isnull=True
    ).order_by("pk")
    for invitation in rows:
        if PREVISIT in invitation.instruments and invitation.appointment_id is not None:
            out[invitation.appointment_id] = invitation
    return out


def _cancel(invitation: Invitation) -> None:
    from coproduce.checkins.outbox import drop_unsent_reminders

    invitation.status = InvitationStatus.CANCELLED
    invitation.next_reminder_at = None
    invitation.save(update_fields=["status", "next_reminder_at"])
    drop_unsent_reminders(invitation.pk)


def sync(appointment: Appointment, *, now: dt.datetime | None = None) -> str:
    """Bring the pre-visit invitation of `appointment` in line with it; return what changed.

    "created", "updated", "cancelled" or "" (nothing to do). A sent invitation of a visit
    that moved is planned again (its old links keep opening it, the patient gets a new
    message); an answered one is left as it is.
    """
    now = now or clock.now()
    invitation = invitation_of(appointment)
    live = appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now
    if not live:
        if invitation is not None and invitation.status in OPEN_STATUSES:
            _cancel(invitation)
            return "cancelled"
        return ""
    if invitation is not None and invitation.status in (
        InvitationStatus.COMPLETED,
        InvitationStatus.EXPIRED,
    ):
        return ""
    patient = appointment.patient
    instruments, reminder_days, at = asks(patient)
    due = due_at(appointment, now=now, days=days_before(appointment.care_team.site_id), at=at)
    if due is None:
        if (
            invitation is not None
            and invitation.status in OPEN_STATUSES
            and invitation.expires_at != appointment.starts_at
        ):
            invitation.expires_at = appointment.starts_at
            invitation.save(update_fields=["expires_at"])
            return "updated"
        return ""
    fields = {
        "instruments": instruments,
        "reminder_days": reminder_days,
        "expires_at": appointment.starts_at,
    }
    if invitation is None:
        Invitation.objects.create(patient=patient, appointment=appointment, due_at=due, **fields)
        return "created"
    if invitation.status in (InvitationStatus.SENT, InvitationStatus.IN_PROGRESS):
        if invitation.expires_at == appointment.starts_at:
            return ""
        # The visit moved: send the check-in again for the new date (the draft is kept).
        fields |= {"reminders_sent": 0, "next_reminder_at": None, "sent_at": None}
    elif (
        invitation.status == InvitationStatus.SCHEDULED
        and invitation.due_at == due
        and all(getattr(invitation, k) == v for k, v in fields.items())
    ):
        return ""
    for name, value in fields.items():
        setattr(invitation, name, value)
    invitation.due_at = due
    invitation.status = InvitationStatus.SCHEDULED
    invitation.save()
    return "updated"


def sync_patient(patient: Patient, *, now: dt.datetime) -> dict[str, int]:
    """Re-plan the pre-visit invitations of `patient`'s coming appointments; return counts."""
    counts = {"created": 0, "updated": 0, "cancelled": 0}
    for appointment in Appointment.objects.filter(
        patient=patient, starts_at__gt=now, starts_at__lt=now + AHEAD
    ).select_related("patient", "care_team__site"):
        changed = sync(appointment, now=now)
        if changed:
            counts[changed] += 1
    return counts


def sync_upcoming(*, now: dt.datetime | None = None) -> int:
    """Re-plan every coming appointment's pre-visit invitation (hourly); return changes."""
    now = now or clock.now()
    changed = 0
    window = Q(starts_at__gt=now, starts_at__lt=now + AHEAD)
    for appointment in Appointment.objects.filter(window).select_related(
        "patient", "care_team__site"
    ):
        changed += bool(sync(appointment, now=now))
    return changed
