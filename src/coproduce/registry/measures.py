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

from coproduce.checkins.models import Invitation, InvitationStatus, Score
from coproduce.instruments.rules import COLLABORATE_MIN_REPORTABLE
from coproduce.platform.models import Priority
from coproduce.registry.mme_sql import line_mme_sql
from coproduce.registry.summary import SMALL_CELL
from coproduce.safetynet.models import Alert
from coproduce.visits.models import Appointment, AppointmentStatus

PROPORTION = "proportion"
MEDIAN = "median"
#: Units (a site, the network) need this many complete collaboRATE encounters in a month.
COLLABORATE_MIN = COLLABORATE_MIN_REPORTABLE


@dataclass(frozen=True)
class Cell:
    """One site-month (site_id 0: the whole network).

    Proportions: numerator of denominator. Medians: `value` is the median over
    `denominator` patients (numerator unused, 0).
    """

    site_id: int
    month: dt.date
    numerator: int
    denominator: int
    value: float | None = None

    @property
    def figure(self) -> float:
        """The plotted figure: a proportion (0-1) or the median itself."""
        if self.value is not None:
            return self.value
        return self.numerator / self.denominator


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    numerator: str
    denominator: str
    compute: Callable[[dt.datetime, dt.datetime], list[Cell]]
    higher_is_better: bool = True
    kind: str = PROPORTION
    #: A cell with a smaller denominator is not reported (small cells are 5; some
    #: instruments publish their own minimum, like collaboRATE's 25 encounters).
    min_denominator: int = SMALL_CELL
    unit: str = "%"

    @property
    def is_median(self) -> bool:
        return self.kind == MEDIAN


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


def _date_plus(column: str, days: int) -> str:
    if connection.vendor == "postgresql":
        return f"({column} + {int(days)})"
    return f"date({column}, '{int(days):+d} days')"


def _months_values(start: dt.datetime, end: dt.datetime) -> tuple[str, list]:
    """A VALUES list of (month start, last day) for the months in [start, end)."""
    rows: list = []
    first = start.date().replace(day=1)
    while first < end.date():
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        rows += [first, nxt - dt.timedelta(days=1)]
        first = nxt
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::date, %s::date)"] * (len(rows) // 2))
    else:
        values = ", ".join(["(%s, %s)"] * (len(rows) // 2))
    return values, rows


# The first taper plan of each patient defines the taper cohort and its baseline, as in
# careplans.services.tapering_outcome (EMPOWER: baseline at the start of tapering).
_FIRST_PLANS = """
    plans AS (
        SELECT tp.patient_id, tp.start_on, tp.start_mme,
               ROW_NUMBER() OVER (PARTITION BY tp.patient_id ORDER BY tp.start_on, tp.id) AS rn
        FROM careplans_taperplan tp
    )"""


def taper_median_mme_change(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Median % change in daily MME from the plan's start to each month's last day.

    One value per site and month over the taper cohort (patients whose first taper plan
    started by then), and one for the network (site 0), which is not a sum of sites.
    Medians come from window functions, so SQLite and PostgreSQL share the query.
    """
    if start >= end:
        return []
    months, month_params = _months_values(start, end)
    line, line_params = line_mme_sql("m")
    sql = f"""
        WITH months(month, last_day) AS (VALUES {months}),
        {_FIRST_PLANS},
        cohort AS (
            SELECT pl.patient_id, t.site_id, pl.start_on, pl.start_mme AS baseline
            FROM plans pl
            JOIN people_patient p ON p.id = pl.patient_id
            JOIN people_careteam t ON t.id = p.care_team_id
            WHERE pl.rn = 1 AND pl.start_mme > 0
        ),
        latest AS (
            SELECT c.patient_id, c.site_id, mo.month, c.baseline,
                   COALESCE(SUM({line}), 0) AS mme
            FROM cohort c
            JOIN months mo ON c.start_on <= mo.last_day
            LEFT JOIN careplans_medication m
              ON m.patient_id = c.patient_id AND m.is_opioid
             AND m.started_on <= mo.last_day
             AND (m.stopped_on IS NULL OR m.stopped_on > mo.last_day)
            GROUP BY c.patient_id, c.site_id, mo.month, c.baseline
        ),
        changes AS (
            SELECT site_id, month, 100.0 * (mme - baseline) / baseline AS change FROM latest
        ),
        ranked AS (
            SELECT site_id, month, change,
                   ROW_NUMBER() OVER (PARTITION BY site_id, month ORDER BY change) AS rn,
                   COUNT(*) OVER (PARTITION BY site_id, month) AS cnt
            FROM changes
            UNION ALL
            SELECT 0, month, change,
                   ROW_NUMBER() OVER (PARTITION BY month ORDER BY change),
                   COUNT(*) OVER (PARTITION BY month)
            FROM changes
        )
        SELECT site_id, month, AVG(change), MAX(cnt)
        FROM ranked
        WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)
        GROUP BY site_id, month
    """  # noqa: S608  (only placeholders and fixed SQL fragments are interpolated)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*month_params, *line_params])
        cells = [
            Cell(s, _month(m), 0, int(n), round(float(v), 2)) for s, m, v, n in cursor.fetchall()
        ]
    return sorted(cells, key=lambda c: (c.site_id, c.month))


def taper_pain_not_increased(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Taper-cohort patients whose latest pain score of the month is <= baseline + 1.

    Pain is the 0-10 pain NRS or the PEG score; the month's latest score is compared with
    the same instrument's latest score in the 30 days up to the plan's start (EMPOWER's
    "pain intensity up by no more than 1 point"). Patients without such a baseline are not
    counted.
    """
    month = _month_sql("pa.at")
    after_start = _date_plus("pl.start_on", 1)
    baseline_from = _date_plus("pl.start_on", -30)
    sql = f"""
        WITH {_FIRST_PLANS},
        pain AS (
            SELECT s.id, s.patient_id, s.instrument_id, s.score, s.at
            FROM checkins_score s
            WHERE s.instrument_id IN ('pain-nrs', 'peg') AND s.complete
              AND s.score IS NOT NULL
        ),
        baseline AS (
            SELECT pa.patient_id, pa.instrument_id, pa.score,
                   ROW_NUMBER() OVER (
                       PARTITION BY pa.patient_id, pa.instrument_id ORDER BY pa.at DESC, pa.id DESC
                   ) AS rn
            FROM pain pa JOIN plans pl ON pl.patient_id = pa.patient_id AND pl.rn = 1
            WHERE pa.at >= {baseline_from} AND pa.at < {after_start}
        ),
        monthly AS (
            SELECT pa.patient_id, pa.instrument_id, pa.score, {month} AS month,
                   ROW_NUMBER() OVER (
                       PARTITION BY pa.patient_id, {month} ORDER BY pa.at DESC, pa.id DESC
                   ) AS rn
            FROM pain pa JOIN plans pl ON pl.patient_id = pa.patient_id AND pl.rn = 1
            WHERE pa.at >= %s AND pa.at < %s AND pa.at >= {after_start}
        )
        SELECT t.site_id, mo.month, COUNT(*) AS den,
               SUM(CASE WHEN mo.score - b.score <= 1.000001 THEN 1 ELSE 0 END) AS num
        FROM monthly mo
        JOIN baseline b
          ON b.patient_id = mo.patient_id AND b.instrument_id = mo.instrument_id AND b.rn = 1
        JOIN people_patient p ON p.id = mo.patient_id
        JOIN people_careteam t ON t.id = p.care_team_id
        WHERE mo.rn = 1
        GROUP BY t.site_id, mo.month
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        return [Cell(s, _month(m), int(n or 0), int(d)) for s, m, d, n in cursor.fetchall()]


def collaborate_top_score(start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Complete collaboRATE encounters in the month, and those scoring 9 on all three items.

    The stored score is the mean of the three 0-9 items, so 9 means every item was 9.
    """
    rows = (
        Score.objects.filter(instrument_id="collaborate", complete=True, at__gte=start, at__lt=end)
        .annotate(month=TruncMonth("at"))
        .values("patient__care_team__site_id", "month")
        .annotate(den=Count("id"), num=Count("id", filter=Q(score__gte=8.995)))
        .order_by()
    )
    return _cells(rows, "patient__care_team__site_id", "month")


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
        Measure(
            "taper-mme-change",
            "Taper cohort: median change in daily MME",
            "median % change in daily MME from the start of the first taper plan",
            "patients in the taper cohort (a taper plan started by the end of the month)",
            taper_median_mme_change,
            higher_is_better=False,
            kind=MEDIAN,
            unit="% change",
        ),
        Measure(
            "taper-pain-not-increased",
            "Taper cohort: pain not increased",
            "patients whose latest pain score (pain NRS or PEG) is at most 1 point above "
            "the same instrument's baseline",
            "taper-cohort patients with a pain score in the month and a baseline in the "
            "30 days before the plan started",
            taper_pain_not_increased,
        ),
        Measure(
            "collaborate-top",
            "collaboRATE top score",
            "complete collaboRATE encounters scoring 9 on all three items",
            "complete collaboRATE encounters (reported only with 25 or more in the month)",
            collaborate_top_score,
            min_denominator=COLLABORATE_MIN,
        ),
    ]
}


def monthly(measure_id: str, start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Return a measure's cells per site and month in [start, end)."""
    return MEASURES[measure_id].compute(start, end)


def network(cells: list[Cell]) -> list[Cell]:
    """Sum site cells into one network cell per month (site_id 0).

    Median measures compute the network's own median (site 0 cells); those are returned.
    """
    own = [c for c in cells if c.site_id == 0]
    if own:
        return sorted(own, key=lambda c: c.month)
    totals: dict[dt.date, list[int]] = {}
    for cell in cells:
        pair = totals.setdefault(cell.month, [0, 0])
        pair[0] += cell.numerator
        pair[1] += cell.denominator
    return [Cell(0, month, n, d) for month, (n, d) in sorted(totals.items())]
