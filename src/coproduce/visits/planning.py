"""Pre-visit planning: today's and tomorrow's appointments with what needs attention first.

A fixed number of queries for the whole day list, however many appointments it holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import User
from coproduce.platform import clock
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.models import Alert, AlertStatus
from coproduce.visits import clinical, collaborate
from coproduce.visits.dashboard import NO_CONCERN, PREVISIT, previsit_answers
from coproduce.visits.models import (
    Appointment,
    AppointmentStatus,
    VisitRequest,
    VisitRequestStatus,
)
from coproduce.visits.services import reminder_key

DEFAULT_QUIET_WEEKS = 3
# A pre-visit check-in counts for an appointment when it came in this many days before it.
PREVISIT_WINDOW_DAYS = 14


@dataclass
class Row:
    appointment: Appointment
    day: dt.date
    local_start: dt.datetime
    concern: str = ""
    partner: str = ""
    previsit_done: bool = False
    worse: list[str] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)
    urgent: bool = False
    last_checkin: dt.date | None = None
    quiet: bool = False
    reminder_queued: bool = False


def _latest_scores(filters: Q) -> dict[tuple[int, str], float]:
    """{(patient_id, instrument_id): score} of the latest score matching `filters`."""
    ranked = (
        Score.objects.filter(filters, score__isnull=False)
        .exclude(instrument_id__in=collaborate.CONFIDENTIAL)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id"), F("instrument_id")],
                order_by=[F("at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .values_list("patient_id", "instrument_id", "score")
    )
    # score__isnull=False above: every value is a number.
    return {(p, i): float(s) for p, i, s in ranked}  # type: ignore[arg-type]


def day_list(
    user: User, *, now: dt.datetime | None = None, quiet_weeks: int = DEFAULT_QUIET_WEEKS
) -> dict[str, Any]:
    """Appointments today and tomorrow (clinic-local) for `user`'s teams, with their flags."""
    now = now or clock.now()
    teams = list(user.care_teams.select_related("site"))
    window = Q(pk__in=[])
    days: dict[int, tuple[dt.date, dt.date]] = {}
    for team in teams:
        zone = team.site.zone
        today = clock.clinic_today(zone, now)
        start = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
        window |= Q(care_team=team, starts_at__gte=start, starts_at__lt=start + dt.timedelta(2))
        days[team.pk] = (today, today + dt.timedelta(1))
    appointments = list(
        Appointment.objects.filter(window)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "clinician", "care_team__site")
        .order_by("starts_at")
    )
    patient_ids = {a.patient_id for a in appointments}
    rows = []
    for a in appointments:
        local = timezone.localtime(a.starts_at, a.care_team.site.zone)
        rows.append(Row(appointment=a, day=local.date(), local_start=local))

    if patient_ids:
        earliest = min(a.starts_at for a in appointments)
        previsits: dict[int, list[tuple]] = {}
        for pid, answers, versions, at in (
            CheckinResponse.objects.filter(
                patient_id__in=patient_ids,
                answers__has_key=PREVISIT,
                submitted_at__gte=earliest - dt.timedelta(days=PREVISIT_WINDOW_DAYS),
            )
            .order_by("submitted_at")
            .values_list("patient_id", "answers", "versions", "submitted_at")
        ):
            previsits.setdefault(pid, []).append((answers, versions, at))
        last_checkin = dict(
            CheckinResponse.objects.filter(patient_id__in=patient_ids)
            .values("patient_id")
            .annotate(last=Max("submitted_at"))
            .values_list("patient_id", "last")
        )
        last_visit = dict(
            Appointment.objects.filter(
                patient_id__in=patient_ids,
                starts_at__lt=earliest,
                status__in=(AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED),
            )
            .values("patient_id")
            .annotate(last=Max("starts_at"))
            .values_list("patient_id", "last")
        )
        latest = _latest_scores(Q(patient_id__in=patient_ids))
        baseline_filter = Q(pk__in=[])
        for pid, at in last_visit.items():
            baseline_filter |= Q(patient_id=pid, at__lte=at)
        baseline = _latest_scores(baseline_filter) if last_visit else {}
        latest_by_patient: dict[int, list[tuple[str, float]]] = {}
        for (pid, instrument_id), value in sorted(latest.items()):
            latest_by_patient.setdefault(pid, []).append((instrument_id, value))
        alerts: dict[int, dict[int, int]] = {}
        for pid, priority, n in (
            Alert.objects.filter(patient_id__in=patient_ids)
            .exclude(status=AlertStatus.RESOLVED)
            .values("patient_id", "priority")
            .annotate(n=Count("id"))
            .values_list("patient_id", "priority", "n")
            .order_by()
        ):
            alerts.setdefault(pid, {})[priority] = n
        queued = set(
            Notification.objects.filter(
                dedupe_key__in=[reminder_key(r.appointment) for r in rows]
            ).values_list("dedupe_key", flat=True)
        )
        quiet_since = now - dt.timedelta(weeks=quiet_weeks)
        for row in rows:
            a = row.appointment
            pid = a.patient_id
            window_start = a.starts_at - dt.timedelta(days=PREVISIT_WINDOW_DAYS)
            recent = [p for p in previsits.get(pid, []) if window_start <= p[2] <= a.starts_at]
            row.previsit_done = bool(recent)
            if recent:
                answers, versions, _ = recent[-1]
                found = previsit_answers(answers.get(PREVISIT) or {}, versions.get(PREVISIT))
                row.concern = "" if found["no_concern"] else found["concern"]
                row.partner = found["partner"]
            for instrument_id, after in latest_by_patient.get(pid, []):
                before = baseline.get((pid, instrument_id))
                if before is None:
                    continue
                change = clinical.change(instrument_id, before, after)
                if change and change.important and change.direction == "worse":
                    info = clinical.info(instrument_id)
                    row.worse.append(f"{info.short} {before:g} → {after:g}")
            counts = alerts.get(pid, {})
            row.alerts = {Priority(p).label: n for p, n in sorted(counts.items())}
            row.urgent = Priority.URGENT in counts
            last = last_checkin.get(pid)
            row.last_checkin = (
                timezone.localtime(last, a.care_team.site.zone).date() if last else None
            )
            row.quiet = last is None or last < quiet_since
            row.reminder_queued = reminder_key(a) in queued

    requests = list(
        VisitRequest.objects.filter(
            patient__care_team__in=teams, status__in=(VisitRequestStatus.OPEN,)
        )
        .select_related("patient", "requested_by")
        .order_by("target_by", "created_at")
    )
    today = min((d[0] for d in days.values()), default=clock.today())
    all_days = sorted({d for pair in days.values() for d in pair})
    return {
        "rows": rows,
        "day_rows": [(day, [r for r in rows if r.day == day]) for day in all_days],
        "teams": teams,
        "requests": requests,
        "quiet_weeks": quiet_weeks,
        "today": today,
        "no_concern_code": NO_CONCERN,
    }
