"""Turning programs and schedules into invitations, and keeping pending ones up to date.

Invitations are planned for a rolling horizon. Those not yet sent follow every change to
their schedule or enrollment (they are updated, cancelled or re-created); sent, started and
completed ones are left as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import QuerySet
from django.utils.translation import gettext

from coproduce.audit.services import record
from coproduce.checkins import previsit
from coproduce.checkins.models import (
    Enrollment,
    Invitation,
    InvitationStatus,
    Program,
    Schedule,
    ScheduleKind,
)
from coproduce.instruments.library import available_in, unavailable_in
from coproduce.people.models import Patient, User
from coproduce.platform import clock
from coproduce.visits.models import Appointment, AppointmentStatus

HORIZON = dt.timedelta(days=28)


@dataclass(frozen=True)
class Planned:
    schedule: Schedule
    due_at: dt.datetime
    appointment: Appointment | None = None
    instruments: tuple[str, ...] | None = None  # None: the schedule's own list

    @property
    def asks(self) -> list[str]:
        return list(self.schedule.instruments if self.instruments is None else self.instruments)


def _at_local(day: dt.date, schedule: Schedule, zone) -> dt.datetime:
    local_time = schedule.local_time
    if isinstance(local_time, str):  # a default not yet read back from the database
        local_time = dt.time.fromisoformat(local_time)
    return dt.datetime.combine(day, local_time, tzinfo=zone)


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def due_times(
    schedule: Schedule,
    enrollment: Enrollment,
    *,
    start: dt.datetime,
    end: dt.datetime,
    appointments: list[Appointment] = (),  # type: ignore[assignment]
) -> list[Planned]:
    """Return the due times of `schedule` for one enrollment in [start, end).

    Pre-visit check-ins are not planned here: they follow each appointment itself
    (checkins.previsit), in the clinic's day hours."""
    zone = enrollment.patient.care_team.site.zone
    first = max(start.astimezone(zone).date(), enrollment.started_on)
    last = end.astimezone(zone).date()
    if enrollment.ended_on:
        last = min(last, enrollment.ended_on)
    out: list[Planned] = []
    if schedule.kind in (ScheduleKind.WEEKLY, ScheduleKind.MONTHLY):
        for day in _days(first, last):
            if schedule.kind == ScheduleKind.WEEKLY:
                hit = day.weekday() == (schedule.weekday or 0)
            else:
                wanted = schedule.day_of_month or enrollment.started_on.day
                # Months without that day (31st, 29-30 Feb) use their last day.
                month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                last_day = (month_end - dt.timedelta(days=1)).day
                hit = day.day == min(wanted, last_day)
            if hit:
                out.append(Planned(schedule, _at_local(day, schedule, zone)))
    elif schedule.kind == ScheduleKind.POSTVISIT:
        after = dt.timedelta(hours=schedule.hours_after or 0)
        for appt in appointments:
            ends = appt.starts_at + dt.timedelta(minutes=appt.minutes)
            out.append(Planned(schedule, ends + after, appt))
    elif schedule.kind == ScheduleKind.AFTER_START:
        day = enrollment.started_on + dt.timedelta(days=schedule.days_after_start or 0)
        if first <= day <= last:
            out.append(Planned(schedule, _at_local(day, schedule, zone)))
    return [p for p in out if start <= p.due_at < end]


def _week(p: Planned, zone) -> tuple[int, int]:
    year, week, _ = p.due_at.astimezone(zone).isocalendar()
    return year, week


def ask_once(
    planned: list[Planned], zone, asked: dict[tuple[int, int], set[str]] | None = None
) -> list[Planned]:
    """Drop from `ask_once_per_week` schedules what another program asks the same week.

    A study assessment due in the week of the patient's care check-in is asked once, in the
    care check-in; the study counts that answer (research.followup looks for the score).
    `asked` holds what earlier invitations of the week (before the horizon) already ask.
    """
    others: dict[tuple[int, int], set[str]] = {k: set(v) for k, v in (asked or {}).items()}
    for p in planned:
        if not p.schedule.ask_once_per_week:
            others.setdefault(_week(p, zone), set()).update(p.schedule.instruments)
    out = []
    for p in planned:
        if not p.schedule.ask_once_per_week:
            out.append(p)
            continue
        already = others.get(_week(p, zone), set())
        left = tuple(i for i in p.schedule.instruments if i not in already)
        if left:
            out.append(Planned(p.schedule, p.due_at, p.appointment, left))
    return out


def _appointments(patient: Patient, start: dt.datetime, end: dt.datetime) -> list[Appointment]:
    # Appointments up to 30 days after the horizon still have pre-visit check-ins inside it.
    return list(
        Appointment.objects.filter(
            patient=patient,
            starts_at__gte=start - dt.timedelta(days=7),
            starts_at__lt=end + dt.timedelta(days=30),
        ).exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.MISSED])
    )


def plan(patient: Patient, *, now: dt.datetime, horizon: dt.timedelta = HORIZON) -> list[Planned]:
    """Return every invitation `patient` should have due in [now, now + horizon)."""
    end = now + horizon
    enrollments = list(
        Enrollment.objects.filter(patient=patient, ended_on__isnull=True)
        .select_related("patient__care_team__site", "program")
        .prefetch_related("program__schedules")
    )
    appointments: list[Appointment] | None = None
    planned: list[Planned] = []
    for enrollment in enrollments:
        for schedule in enrollment.program.schedules.all():
            # Pre-visit check-ins follow the appointments themselves (checkins.previsit).
            if not schedule.active or schedule.kind in (
                ScheduleKind.ON_DEMAND,
                ScheduleKind.PREVISIT,
            ):
                continue
            if schedule.kind == ScheduleKind.POSTVISIT:
                if appointments is None:
                    appointments = _appointments(patient, now, end)
                appts = appointments
            else:
                appts = []
            planned += due_times(schedule, enrollment, start=now, end=end, appointments=appts)
    planned = in_patients_language(patient, planned)
    zone = patient.care_team.site.zone
    if not any(p.schedule.ask_once_per_week for p in planned):
        return planned
    return ask_once(planned, zone, _asked_this_week(patient, now, zone))


def in_patients_language(patient: Patient, planned: list[Planned]) -> list[Planned]:
    """Each invitation without the instruments that have no official text in the patient's
    language (never an English question to a patient who asked for Spanish); an invitation
    left with nothing to ask is not planned. The patient's page tells the team why."""
    skip = set(
        unavailable_in(sorted({i for p in planned for i in p.asks}), patient.preferred_language)
    )
    if not skip:
        return planned
    kept = [replace(p, instruments=tuple(i for i in p.asks if i not in skip)) for p in planned]
    return [p for p in kept if p.asks]


def skipped_for_language(patient: Patient) -> list[str]:
    """The instruments of the patient's programs not asked because of their language."""
    asked = Schedule.objects.filter(
        active=True,
        program__enrollments__patient=patient,
        program__enrollments__ended_on__isnull=True,
    ).values_list("instruments", flat=True)
    return unavailable_in(sorted({i for row in asked for i in row}), patient.preferred_language)


def _asked_this_week(patient: Patient, now: dt.datetime, zone) -> dict[tuple[int, int], set]:
    """Instruments that invitations due earlier in the current week already ask."""
    asked: dict[tuple[int, int], set] = {}
    earlier = Invitation.objects.filter(
        patient=patient,
        due_at__gte=now - dt.timedelta(days=7),
        due_at__lt=now,
        schedule__ask_once_per_week=False,
    ).exclude(status=InvitationStatus.CANCELLED)
    for due_at, instruments in earlier.values_list("due_at", "instruments"):
        year, week, _ = due_at.astimezone(zone).isocalendar()
        asked.setdefault((year, week), set()).update(instruments)
    return asked


def _fields(p: Planned) -> dict:
    s = p.schedule
    return {
        "instruments": p.asks,
        "reminder_days": list(s.reminder_days),
        "expires_at": p.due_at + dt.timedelta(days=s.expires_after_days),
        "appointment_id": p.appointment.pk if p.appointment else None,
        "screening": s.screening,
    }


def sync_patient(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Bring `patient`'s not-yet-sent invitations in line with their programs; return counts."""
    now = now or clock.now()
    wanted = {(p.schedule.pk, p.due_at): p for p in plan(patient, now=now)}
    counts = {"created": 0, "updated": 0, "cancelled": 0}
    existing = Invitation.objects.filter(
        patient=patient,
        schedule__isnull=False,
        status__in=[InvitationStatus.SCHEDULED, InvitationStatus.CANCELLED],
        due_at__gte=now,
    )
    seen = set()
    for inv in existing:
        key = (inv.schedule_id or 0, inv.due_at)
        target = wanted.get(key)
        if target is None:
            if inv.status == InvitationStatus.SCHEDULED:
                inv.status = InvitationStatus.CANCELLED
                inv.next_reminder_at = None
                inv.save(update_fields=["status", "next_reminder_at"])
                counts["cancelled"] += 1
            continue
        seen.add(key)
        fields = _fields(target)
        changed = inv.status != InvitationStatus.SCHEDULED or any(
            getattr(inv, k) != v for k, v in fields.items()
        )
        if changed:
            for k, v in fields.items():
                setattr(inv, k, v)
            inv.status = InvitationStatus.SCHEDULED
            inv.save()
            counts["updated"] += 1
    # Scheduled invitations already due but not yet sent stay unless their schedule is gone.
    overdue = Invitation.objects.filter(
        patient=patient, status=InvitationStatus.SCHEDULED, due_at__lt=now, schedule__isnull=False
    )
    live = {p.schedule.pk for p in wanted.values()} | _live_schedule_ids(patient)
    counts["cancelled"] += overdue.exclude(schedule_id__in=live).update(
        status=InvitationStatus.CANCELLED
    )
    taken = set(
        Invitation.objects.filter(
            patient=patient, due_at__in=[k[1] for k in wanted], schedule__isnull=False
        ).values_list("schedule_id", "due_at")
    )
    new = [
        Invitation(patient=patient, schedule=p.schedule, due_at=p.due_at, **_fields(p))
        for key, p in wanted.items()
        if key not in seen and key not in taken
    ]
    Invitation.objects.bulk_create(new)
    counts["created"] = len(new)
    for name, n in previsit.sync_patient(patient, now=now).items():
        counts[name] += n
    return counts


def _live_schedule_ids(patient: Patient) -> set[int]:
    return set(
        Schedule.objects.filter(
            active=True,
            program__enrollments__patient=patient,
            program__enrollments__ended_on__isnull=True,
        ).values_list("pk", flat=True)
    )


def sync_all(*, now: dt.datetime | None = None, patients: QuerySet[Patient] | None = None) -> int:
    """Re-plan every enrolled patient (the hourly job); return how many invitations changed."""
    now = now or clock.now()
    if patients is None:
        patients = Patient.objects.filter(enrollments__isnull=False).distinct()
    changed = 0
    for patient in patients.select_related("care_team__site"):
        changed += sum(sync_patient(patient, now=now).values())
    return changed


def enroll(
    patient: Patient,
    program: Program,
    *,
    actor: User | None,
    now: dt.datetime | None = None,
    started_on: dt.date | None = None,
) -> Enrollment:
    """Enroll `patient` in `program` (again, if it had ended) and plan their invitations."""
    now = now or clock.now()
    start = started_on or clock.clinic_today(patient.care_team.site, now)
    enrollment, _ = Enrollment.objects.update_or_create(
        patient=patient, program=program, defaults={"started_on": start, "ended_on": None}
    )
    sync_patient(patient, now=now)
    record(
        "checkin.enrolled",
        actor=actor,
        patient=patient,
        obj=enrollment,
        detail={"program": program.slug},
    )
    return enrollment


def end_enrollment(
    enrollment: Enrollment, *, actor: User | None, now: dt.datetime | None = None
) -> None:
    """End an enrollment; its pending invitations are cancelled."""
    now = now or clock.now()
    enrollment.ended_on = clock.clinic_today(enrollment.patient.care_team.site, now)
    enrollment.save(update_fields=["ended_on"])
    sync_patient(enrollment.patient, now=now)
    record(
        "checkin.unenrolled",
        actor=actor,
        patient=enrollment.patient,
        obj=enrollment,
        detail={"program": enrollment.program.slug},
    )


def change_schedule(
    schedule: Schedule, *, actor: User | None, now: dt.datetime | None = None, **changes
) -> Schedule:
    """Change a schedule and re-plan the pending invitations of everyone it concerns."""
    now = now or clock.now()
    for name, value in changes.items():
        setattr(schedule, name, value)
    schedule.full_clean()
    schedule.save()
    patients = Patient.objects.filter(
        enrollments__program=schedule.program, enrollments__ended_on__isnull=True
    )
    changed = sync_all(now=now, patients=patients)
    record(
        "checkin.schedule_changed",
        actor=actor,
        obj=schedule,
        detail={"changes": {k: str(v) for k, v in changes.items()}, "invitations": changed},
    )
    return schedule


def on_demand(
    patient: Patient, instruments: list[str], *, now: dt.datetime | None = None, days: int = 7
) -> Invitation:
    """Create an invitation due now (the team asks for a check-in between schedules)."""
    now = now or clock.now()
    instruments = [i for i in instruments if available_in(i, patient.preferred_language)]
    if not instruments:
        raise ValueError(
            gettext("None of these questionnaires is available in the patient's language.")
        )
    return Invitation.objects.create(
        patient=patient,
        instruments=list(instruments),
        due_at=now,
        expires_at=now + dt.timedelta(days=days),
        reminder_days=[2],
    )


def post_visit(
    appointment: Appointment,
    instruments: list[str],
    *,
    now: dt.datetime | None = None,
    days: int = 7,
) -> tuple[Invitation, bool]:
    """The post-visit invitation of `appointment` asking `instruments`; (invitation, created).

    Created once: an invitation of that appointment that already asks all of `instruments`
    (planned by a post-visit schedule, or made here before) is returned as it is. When the
    patient's program has a post-visit schedule asking them, its timing is used, so that
    `sync_patient` recognises the invitation instead of planning a second one. The caller
    locks the appointment row when two requests may race.
    """
    now = now or clock.now()
    wanted = set(instruments)
    for invitation in Invitation.objects.filter(appointment=appointment).order_by("pk"):
        if wanted <= set(invitation.instruments):
            return invitation, False
    patient = appointment.patient
    ends = appointment.starts_at + dt.timedelta(minutes=appointment.minutes)
    schedules = Schedule.objects.filter(
        active=True,
        kind=ScheduleKind.POSTVISIT,
        program__enrollments__patient=patient,
        program__enrollments__ended_on__isnull=True,
    ).order_by("pk")
    schedule = next((s for s in schedules if wanted <= set(s.instruments)), None)
    if schedule is not None:
        due_at = max(ends + dt.timedelta(hours=schedule.hours_after or 0), now)
        fields = _fields(Planned(schedule, due_at, appointment))
        invitation = Invitation.objects.create(
            patient=patient, schedule=schedule, due_at=due_at, **fields
        )
        return invitation, True
    due_at = max(ends, now)
    invitation = Invitation.objects.create(
        patient=patient,
        appointment=appointment,
        instruments=list(instruments),
        due_at=due_at,
        expires_at=due_at + dt.timedelta(days=days),
        reminder_days=[2],
    )
    return invitation, True
