"""Quality measures: numerator and denominator per site and month, computed in SQL.

Each measure is a set-based query that returns one row per (site, month) with a numerator
and a denominator; the network figure is the sum over sites. Nothing here loops over
patients in Python, so the cost grows with the number of site-months, not of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth

from coproduce.checkins.models import Invitation, InvitationStatus
from coproduce.safetynet.models import Alert, Priority
from coproduce.visits.models import Appointment, AppointmentStatus


@dataclass(frozen=True)
class Cell:
    site_id: int
    month: dt.date
    numerator: int
    denominator: int


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    numerator: str
    denominator: str
    compute: Callable[[dt.datetime, dt.datetime], list[Cell]]
    higher_is_better: bool = True


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10]).replace(day=1)
    return value.replace(day=1)


def _cells(rows: QuerySet, site: str, month: str) -> list[Cell]:
    return [Cell(r[site], _month(r[month]), int(r["num"]), int(r["den"])) for r in rows if r["den"]]


def checkin_completion(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Invitations due in the month (not cancelled, already expired or done) and completed."""
    rows = (
        Invitation.objects.filter(due_at__gte=start, due_at__lt=end)
        .filter(Q(status=InvitationStatus.COMPLETED) | Q(status=InvitationStatus.EXPIRED))
        .annotate(month=TruncMonth("due_at"))
        .values("patient__care_team__site_id", "month")
        .annotate(
            den=Count("id"),
            num=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
        )
        .order_by()
    )
    return _cells(rows, "patient__care_team__site_id", "month")


def previsit_done(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Attended appointments whose pre-visit check-in was completed before the visit."""
    done_before = Invitation.objects.filter(
        appointment=OuterRef("pk"),
        status=InvitationStatus.COMPLETED,
        completed_at__lt=OuterRef("starts_at"),
    )
    rows = (
        Appointment.objects.filter(
            starts_at__gte=start, starts_at__lt=end, status=AppointmentStatus.ATTENDED
        )
        .annotate(month=TruncMonth("starts_at"), done=Exists(done_before))
        .values("care_team__site_id", "month")
        .annotate(den=Count("id"), num=Count("id", filter=Q(done=True)))
        .order_by()
    )
    return _cells(rows, "care_team__site_id", "month")


def urgent_alerts_in_time(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Urgent alerts raised in the month that were acknowledged by their due time."""
    rows = (
        Alert.objects.filter(created_at__gte=start, created_at__lt=end, priority=Priority.URGENT)
        .annotate(month=TruncMonth("created_at"))
        .values("care_team__site_id", "month")
        .annotate(
            den=Count("id"),
            num=Count(
                "id",
                filter=Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at")),
            ),
        )
        .order_by()
    )
    return _cells(rows, "care_team__site_id", "month")


def _latest_band_in(instruments: tuple[str, ...], good: tuple[str, ...]):
    """Build a measure: patients whose last score of the month is in a `good` band."""

    def compute(start: dt.datetime, end: dt.datetime) -> list[Cell]:
        in_list = ", ".join(["%s"] * len(instruments))
        good_list = ", ".join(["%s"] * len(good))
        month = _month_sql("s.at")
        sql = f"""
            WITH ranked AS (
                SELECT s.patient_id, s.band, {month} AS month,
                       ROW_NUMBER() OVER (
                           PARTITION BY s.patient_id, {month} ORDER BY s.at DESC, s.id DESC
                       ) AS rn
                FROM checkins_score s
                WHERE s.instrument_id IN ({in_list}) AND s.at >= %s AND s.at < %s
                  AND s.complete
            )
            SELECT t.site_id, r.month, COUNT(*) AS den,
                   SUM(CASE WHEN r.band IN ({good_list}) THEN 1 ELSE 0 END) AS num
            FROM ranked r
            JOIN people_patient p ON p.id = r.patient_id
            JOIN people_careteam t ON t.id = p.care_team_id
            WHERE r.rn = 1
            GROUP BY t.site_id, r.month
        """  # noqa: S608  (only placeholders and fixed SQL fragments are interpolated)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*instruments, start, end, *good])
            return [Cell(s, _month(m), int(n or 0), int(d)) for s, m, d, n in cursor.fetchall()]

    return compute


def _month_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"strftime('%%Y-%%m-01', {column})"


def clinically_important_worsening(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Patients with a PHQ-9 in the month whose score rose >= 5 points from their previous one.

    5 points is the PHQ-9's minimal clinically important difference (Löwe et al. 2004,
    Med Care 42:1194; Kroenke 2001). Lower is better for this measure.
    """
    month = _month_sql("s.at")
    sql = f"""
        WITH steps AS (
            SELECT s.patient_id, s.at, {month} AS month,
                   s.score - LAG(s.score) OVER (PARTITION BY s.patient_id ORDER BY s.at, s.id)
                       AS delta
            FROM checkins_score s
            WHERE s.instrument_id = 'phq9' AND s.complete AND s.at < %s
        )
        SELECT t.site_id, st.month, COUNT(DISTINCT st.patient_id) AS den,
               COUNT(DISTINCT CASE WHEN st.delta >= 5 THEN st.patient_id END) AS num
        FROM steps st
        JOIN people_patient p ON p.id = st.patient_id
        JOIN people_careteam t ON t.id = p.care_team_id
        WHERE st.at >= %s
        GROUP BY t.site_id, st.month
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [end, start])
        return [Cell(s, _month(m), int(n or 0), int(d)) for s, m, d, n in cursor.fetchall()]


MEASURES: dict[str, Measure] = {
    m.id: m
    for m in [
        Measure(
            "checkin-completion",
            "Check-ins completed",
            "check-ins completed before they expired",
            "check-ins that were due and have closed (completed or expired)",
            checkin_completion,
        ),
        Measure(
            "previsit-done",
            "Pre-visit check-in done before the visit",
            "attended visits with the pre-visit check-in completed beforehand",
            "attended visits",
            previsit_done,
        ),
        Measure(
            "worsening",
            "Clinically important worsening (PHQ-9 up 5 or more)",
            "patients whose PHQ-9 rose by 5 or more points since their previous one",
            "patients with a PHQ-9 in the month",
            clinically_important_worsening,
            higher_is_better=False,
        ),
        Measure(
            "urgent-ack",
            "Urgent alerts acknowledged in time",
            "urgent alerts acknowledged by their due time",
            "urgent alerts raised",
            urgent_alerts_in_time,
        ),
        Measure(
            "ra-remission-low",
            "RA in DAS28 remission or low activity",
            "patients whose latest DAS28 of the month is remission or low",
            "patients with a DAS28 in the month",
            _latest_band_in(("das28-esr", "das28-crp"), ("remission", "low")),
        ),
        Measure(
            "ibd-remission",
            "IBD in remission (HBI or PUCAI)",
            "patients whose latest HBI/PUCAI of the month is in remission",
            "patients with an HBI or PUCAI in the month",
            _latest_band_in(("hbi", "pucai"), ("remission",)),
        ),
    ]
}


def monthly(measure_id: str, start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Return a measure's cells per site and month in [start, end)."""
    return MEASURES[measure_id].compute(start, end)


def network(cells: list[Cell]) -> list[Cell]:
    """Sum site cells into one network cell per month (site_id 0)."""
    totals: dict[dt.date, list[int]] = {}
    for cell in cells:
        pair = totals.setdefault(cell.month, [0, 0])
        pair[0] += cell.numerator
        pair[1] += cell.denominator
    return [Cell(0, month, n, d) for month, (n, d) in sorted(totals.items())]
