"""Monthly roll-ups of the measures, so network pages need not scan the hot tables.

`refresh_rollups(since)` recomputes every measure from `since` to the end of the current
month with the same set-based queries the pages use live, and replaces those months' rows.
It can run twice (or concurrently with page reads) safely: rows are replaced in one
transaction per measure. Pages read roll-ups only for windows they fully cover.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from coproduce.platform import clock
from coproduce.registry.measures import MEASURES, Cell, monthly
from coproduce.registry.models import MeasureMonth, RollupCoverage


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def refresh_rollups(
    since: dt.date, *, today: dt.date | None = None, measure_ids: list[str] | None = None
) -> int:
    """Recompute roll-ups from the month of `since` through the current month; return rows."""
    first = since.replace(day=1)
    end_month = _next_month(today or clock.today())
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(end_month, dt.time(), tzinfo=dt.UTC)
    last = end_month - dt.timedelta(days=1)
    written = 0
    for measure_id in measure_ids or list(MEASURES):
        cells = monthly(measure_id, start, end)
        with transaction.atomic():
            MeasureMonth.objects.filter(
                measure_id=measure_id, month__gte=first, month__lt=end_month
            ).delete()
            MeasureMonth.objects.bulk_create(
                [
                    MeasureMonth(
                        measure_id=measure_id,
                        site_id=c.site_id,
                        month=c.month,
                        numerator=c.numerator,
                        denominator=c.denominator,
                        value=c.value,
                    )
                    for c in cells
                ],
                batch_size=1000,
            )
            coverage = RollupCoverage.objects.select_for_update().filter(measure_id=measure_id)
            current = coverage.first()
            now = clock.now()
            if current is None:
                RollupCoverage.objects.create(
                    measure_id=measure_id, first_month=first, last_month=last, refreshed_at=now
                )
            else:
                # Extend the covered range only when the new months join it without a gap.
                joined = first <= _next_month(current.last_month)
                coverage.update(
                    first_month=min(first, current.first_month) if joined else first,
                    last_month=max(last, current.last_month) if joined else last,
                    refreshed_at=now,
                )
        written += len(cells)
    return written


def covered(measure_id: str, start: dt.datetime, end: dt.datetime) -> RollupCoverage | None:
    """Return the coverage if roll-ups hold every month of [start, end), else None."""
    last = (end - dt.timedelta(days=1)).date()
    return RollupCoverage.objects.filter(
        measure_id=measure_id, first_month__lte=start.date(), last_month__gte=last
    ).first()


def rolled_up(measure_id: str, start: dt.datetime, end: dt.datetime) -> list[Cell]:
    """Return the stored cells of [start, end), in the order `monthly` would."""
    rows = MeasureMonth.objects.filter(
        measure_id=measure_id, month__gte=start.date(), month__lt=end.date()
    ).values_list("site_id", "month", "numerator", "denominator", "value")
    return [Cell(s, m, n, d, v) for s, m, n, d, v in rows]


def cells_for(
    measure_id: str, start: dt.datetime, end: dt.datetime
) -> tuple[list[Cell], RollupCoverage | None]:
    """Return the cells from roll-ups when they cover the window, else live; and the coverage."""
    coverage = covered(measure_id, start, end)
    if coverage is not None:
        return rolled_up(measure_id, start, end), coverage
    return monthly(measure_id, start, end), None
