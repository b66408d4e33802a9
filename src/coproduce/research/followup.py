"""After randomisation: study assessments, treatment sessions, follow-up calls, withdrawal.

Study assessments run on the check-in machinery: randomisation enrolls the participant in
the study's assessments program, whose schedules plan the invitations (an instrument due in
the week of a care check-in is asked once, see checkins.scheduling.ask_once). Withdrawal
ends only that enrollment: the patient's care programs, check-ins and safety net go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coproduce.audit.services import record
from coproduce.checkins.models import Enrollment, Schedule, ScheduleKind, Score
from coproduce.checkins.scheduling import due_times, end_enrollment, enroll
from coproduce.people.models import User
from coproduce.platform import clock
from coproduce.research.participants import (
    SCOPE_ORDER,
    Allocation,
    ContactLog,
    ContactOutcome,
    ContactTask,
    Participant,
    Status,
    TreatmentSession,
    Withdrawal,
    WithdrawalScope,
)
from coproduce.research.randomisation import randomise

FOLLOW_UP_CALLS = (
    (91, gettext_lazy("3-month follow-up call")),
    (182, gettext_lazy("6-month follow-up call")),
    (365, gettext_lazy("12-month follow-up call")),
)


def randomise_and_start(
    participant: Participant, *, by: User, now: dt.datetime | None = None
) -> Allocation:
    """Randomise, then start follow-up: assessments, the arm's sessions, follow-up calls."""
    now = now or clock.now()
    allocation = randomise(participant, by=by, now=now)
    participant.refresh_from_db()
    study = participant.study
    zone = participant.site.zone
    start = clock.clinic_today(zone, now)
    if study.assessments is not None:
        enroll(participant.patient, study.assessments, actor=by, now=now, started_on=start)
    first = dt.datetime.combine(start + dt.timedelta(days=7), dt.time(10), tzinfo=zone)
    TreatmentSession.objects.bulk_create(
        TreatmentSession(
            participant=participant, number=n + 1, starts_at=first + dt.timedelta(weeks=n)
        )
        for n in range(allocation.arm.sessions)
    )
    ContactTask.objects.bulk_create(
        ContactTask(
            participant=participant, label=str(label), due_on=start + dt.timedelta(days=days)
        )
        for days, label in FOLLOW_UP_CALLS
    )
    return allocation


def scopes_of(participant: Participant) -> set[str]:
    """Every scope the participant's withdrawals cover (each scope includes the lesser)."""
    return _widest(participant.withdrawals.values_list("scope", flat=True))


def withdraw(
    participant: Participant,
    *,
    scope: str,
    reason: str = "",
    by: User,
    now: dt.datetime | None = None,
) -> Withdrawal:
    """Record a withdrawal and act on its scope; clinical care is never touched."""
    if scope not in WithdrawalScope.values:
        raise ValidationError({"scope": _("Choose what the participant withdraws from.")})
    if participant.status not in (
        Status.CONSENTED,
        Status.RANDOMISED,
        Status.ACTIVE,
        Status.WITHDRAWN,
    ):
        raise ValidationError(_("Only a participant who has joined the study can withdraw."))
    if scope in scopes_of(participant):
        raise ValidationError(_("The participant has already withdrawn this far."))
    now = now or clock.now()
    withdrawal = Withdrawal.objects.create(
        participant=participant, scope=scope, reason=reason.strip()[:300], at=now, by=by
    )
    # Future sessions end with any withdrawal; attended ones stay on record.
    participant.sessions.filter(starts_at__gt=now, attended__isnull=True).delete()
    program_id = participant.study.assessments_id
    if scope in (WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA):
        participant.contact_tasks.filter(done_at__isnull=True).delete()
    if scope in (WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA) and program_id is not None:
        study_enrollment = Enrollment.objects.filter(
            patient=participant.patient,
            program_id=program_id,
            ended_on__isnull=True,
        ).first()
        if study_enrollment is not None:
            end_enrollment(study_enrollment, actor=by, now=now)
    participant.status = Status.WITHDRAWN
    participant.withdrawn_at = participant.withdrawn_at or now
    participant.save(update_fields=["status", "withdrawn_at"])
    record(
        "research.withdrawn",
        actor=by,
        patient=participant.patient,
        obj=withdrawal,
        detail={"study": participant.study.slug, "scope": scope},
    )
    return withdrawal


def complete(participant: Participant, *, by: User, now: dt.datetime | None = None) -> None:
    """Mark the end of the participant's follow-up."""
    if participant.status not in (Status.RANDOMISED, Status.ACTIVE):
        raise ValidationError(_("Only a randomised participant can complete the study."))
    now = now or clock.now()
    participant.status = Status.COMPLETED
    participant.completed_at = now
    participant.save(update_fields=["status", "completed_at"])
    record("research.completed", actor=by, patient=participant.patient, obj=participant)


def record_attendance(
    session: TreatmentSession, *, attended: bool, by: User, now: dt.datetime | None = None
) -> None:
    """Record whether the participant came to a session; the first attendance makes them active."""
    now = now or clock.now()
    if session.starts_at > now:
        raise ValidationError(_("Attendance can be recorded once the session has started."))
    session.attended = attended
    session.recorded_by = by
    session.save(update_fields=["attended", "recorded_by"])
    participant = session.participant
    if attended and participant.status == Status.RANDOMISED:
        participant.status = Status.ACTIVE
        participant.active_at = now
        participant.save(update_fields=["status", "active_at"])
    record(
        "research.session_recorded",
        actor=by,
        patient=participant.patient,
        obj=session,
        detail={"number": session.number, "attended": attended},
    )


def log_contact(
    participant: Participant,
    *,
    outcome: str,
    note: str = "",
    task: ContactTask | None = None,
    by: User,
    now: dt.datetime | None = None,
) -> ContactLog:
    """Log a call or message; reaching the participant closes the task it was for."""
    if outcome not in ContactOutcome.values:
        raise ValidationError({"outcome": _("Choose how the contact went.")})
    if task is not None and task.participant_id != participant.pk:
        raise ValidationError(_("That task belongs to someone else."))
    now = now or clock.now()
    entry = ContactLog.objects.create(
        participant=participant, task=task, at=now, by=by, outcome=outcome, note=note.strip()[:500]
    )
    if task is not None and outcome == ContactOutcome.REACHED:
        task.done_at = now
        task.save(update_fields=["done_at"])
    record(
        "research.contact_logged",
        actor=by,
        patient=participant.patient,
        obj=entry,
        detail={"outcome": outcome},
    )
    return entry


@dataclass(frozen=True)
class Due:
    """One study assessment a participant owed: when, what, and whether it was answered."""

    name: str
    due_at: dt.datetime
    instruments: tuple[str, ...]
    state: str  # "done", "overdue", "missed", "upcoming"


def assessments_due(participant: Participant, *, now: dt.datetime) -> list[Due]:
    """Every study assessment due from randomisation to now (or the end of follow-up).

    An assessment is done when every instrument it asks was answered between the start of
    its ISO week and its expiry, from any invitation: a care check-in that asked the same
    instrument that week counts for the study too.
    """
    return assessments_due_for([participant], now=now)[participant.pk]


def assessments_due_for(
    participants: Iterable[Participant], *, now: dt.datetime
) -> dict[int, list[Due]]:
    """`assessments_due` of each participant (by pk), in a number of queries that does not
    grow with the number of participants (the coordinator's workspace lists them all)."""
    participants = list(participants)
    out: dict[int, list[Due]] = {p.pk: [] for p in participants}
    # Randomised participants of studies with a schedule of assessments, and its program.
    program_of: dict[int, int] = {
        p.pk: p.study.assessments_id
        for p in participants
        if p.randomised_at is not None and p.study.assessments_id is not None
    }
    followed = [p for p in participants if p.pk in program_of]
    if not followed:
        return out
    program_ids = set(program_of.values())
    patient_ids = {p.patient_id for p in followed}
    enrollments: dict[tuple[int, int], Enrollment] = {}
    for enrollment in (
        Enrollment.objects.filter(patient_id__in=patient_ids, program_id__in=program_ids)
        .select_related("patient__care_team__site")
        .order_by("-pk")  # the first enrollment wins, as .first() chose it
    ):
        enrollments[(enrollment.patient_id, enrollment.program_id)] = enrollment
    schedules: dict[int, list[Schedule]] = {pid: [] for pid in program_ids}
    for schedule in Schedule.objects.filter(program_id__in=program_ids, active=True).order_by("pk"):
        schedules[schedule.program_id].append(schedule)
    withdrawals: dict[int, list[str]] = {}
    for pid, scope in Withdrawal.objects.filter(participant__in=followed).values_list(
        "participant_id", "scope"
    ):
        withdrawals.setdefault(pid, []).append(scope)
    started: dict[int, tuple[Enrollment, dt.datetime]] = {}
    for p in followed:
        found = enrollments.get((p.patient_id, program_of[p.pk]))
        if found is not None:
            zone = p.site.zone
            started[p.pk] = (found, dt.datetime.combine(found.started_on, dt.time(0), tzinfo=zone))
    scores: dict[int, list[tuple[str, dt.datetime]]] = {pid: [] for pid in patient_ids}
    if started:
        earliest = min(start for _e, start in started.values()) - dt.timedelta(days=7)
        for patient_id, instrument_id, at in Score.objects.filter(
            patient_id__in=patient_ids, at__gte=earliest
        ).values_list("patient_id", "instrument_id", "at"):
            scores[patient_id].append((instrument_id, at))
    for p in followed:
        if p.pk not in started:
            continue
        enrollment, start = started[p.pk]
        week_before = start - dt.timedelta(days=7)
        out[p.pk] = _due(
            p,
            enrollment,
            schedules[program_of[p.pk]],
            _widest(withdrawals.get(p.pk, [])),
            [(i, at) for i, at in scores[p.patient_id] if at >= week_before],
            start=start,
            now=now,
        )
    return out


def _widest(scopes: Iterable[str]) -> set[str]:
    widest = -1
    for scope in scopes:
        widest = max(widest, SCOPE_ORDER.index(WithdrawalScope(scope)))
    return {s.value for s in SCOPE_ORDER[: widest + 1]}


def _due(
    participant: Participant,
    enrollment: Enrollment,
    schedules: list[Schedule],
    scopes: set[str],
    scores: list[tuple[str, dt.datetime]],
    *,
    start: dt.datetime,
    now: dt.datetime,
) -> list[Due]:
    end = now
    if WithdrawalScope.FOLLOW_UP in scopes and participant.withdrawn_at:
        end = min(end, participant.withdrawn_at)
    if participant.completed_at:
        end = min(end, participant.completed_at)
    zone = participant.site.zone
    out = []
    for schedule in schedules:
        if schedule.kind in (ScheduleKind.PREVISIT, ScheduleKind.POSTVISIT, ScheduleKind.ON_DEMAND):
            continue
        for planned in due_times(schedule, _open(enrollment), start=start, end=end):
            local = planned.due_at.astimezone(zone).date()
            week_start = dt.datetime.combine(
                local - dt.timedelta(days=local.weekday()), dt.time(0), tzinfo=zone
            )
            expires = planned.due_at + dt.timedelta(days=schedule.expires_after_days)
            done = all(
                any(i == inst and week_start <= at < expires for inst, at in scores)
                for i in schedule.instruments
            )
            if done:
                state = "done"
            elif planned.due_at > now:
                state = "upcoming"
            elif expires > now:
                state = "overdue"
            else:
                state = "missed"
            out.append(Due(schedule.name, planned.due_at, tuple(schedule.instruments), state))
    return sorted(out, key=lambda d: d.due_at)


def _open(enrollment: Enrollment) -> Enrollment:
    # due_times stops at ended_on; the end of follow-up is applied by the caller instead.
    enrollment.ended_on = None
    return enrollment


def completion(participant: Participant, *, now: dt.datetime) -> tuple[int, int]:
    """Return (answered, owed) study assessments up to now."""
    return completion_of(assessments_due(participant, now=now))


def completion_of(due: Iterable[Due]) -> tuple[int, int]:
    """(answered, owed) of these assessments: those not upcoming are owed."""
    owed = [d for d in due if d.state != "upcoming"]
    return sum(d.state == "done" for d in owed), len(owed)
