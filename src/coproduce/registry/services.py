"""Registry pages' data: a measure's SPC per site beside the network, and site funnels."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from coproduce.people.models import Site
from coproduce.platform import clock
from coproduce.registry import spc
from coproduce.registry.funnel import classify_sites, funnel_limits
from coproduce.registry.measures import MEASURES, Cell, Measure, network
from coproduce.registry.models import PdsaAnnotation, RollupCoverage
from coproduce.registry.rollups import cells_for
from coproduce.registry.summary import SMALL_CELL

#: A phase needs this many months for its own limits (one moving range at least).
MIN_PHASE_MONTHS = 2


@dataclass(frozen=True)
class Series:
    name: str
    months: list[dt.date]
    cells: list[Cell | None]  # None: suppressed month (denominator under the measure's floor)
    chart: spc.Chart | None
    annotations: list[PdsaAnnotation] = field(default_factory=list)
    #: Index in `months` of each annotation's month (None: outside the charted months).
    marks: list[int | None] = field(default_factory=list)


@dataclass(frozen=True)
class MeasureView:
    network: Series
    sites: list[Series]
    coverage: RollupCoverage | None  # None: computed live


@dataclass(frozen=True)
class FunnelRow:
    site: str
    numerator: int | None
    denominator: int | None
    proportion: float | None
    status: str


def month_starts(end: dt.date, months: int) -> list[dt.date]:
    first = end.replace(day=1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out[::-1]


def window(
    months: int, today: dt.date | None = None
) -> tuple[list[dt.date], dt.datetime, dt.datetime]:
    today = today or clock.today()
    starts = month_starts(today, months)
    tz = dt.UTC
    start = dt.datetime.combine(starts[0], dt.time(), tzinfo=tz)
    nxt = (starts[-1] + dt.timedelta(days=32)).replace(day=1)
    end = dt.datetime.combine(nxt, dt.time(), tzinfo=tz)
    return starts, start, end


def floor_of(measure: Measure) -> int:
    """Smallest denominator a cell needs to be shown (never below the small-cell rule)."""
    return max(SMALL_CELL, measure.min_denominator)


def phase_starts(months: Sequence[dt.date], annotations: Sequence[PdsaAnnotation]) -> list[int]:
    """Indices where an annotated change starts a new phase with its own limits.

    A change starts its phase in its own month. Phases shorter than MIN_PHASE_MONTHS are
    not split off (too few months to estimate limits).
    """
    starts: list[int] = []
    for note in sorted((a for a in annotations if a.new_phase), key=lambda a: a.on):
        month = note.on.replace(day=1)
        index = next((i for i, m in enumerate(months) if m >= month), None)
        if index is None or index < MIN_PHASE_MONTHS or len(months) - index < MIN_PHASE_MONTHS:
            continue
        if starts and index - starts[-1] < MIN_PHASE_MONTHS:
            continue
        starts.append(index)
    return starts


def _marks(months: Sequence[dt.date], annotations: Sequence[PdsaAnnotation]) -> list[int | None]:
    index = {m: i for i, m in enumerate(months)}
    return [index.get(a.on.replace(day=1)) for a in annotations]


def build_series(
    measure: Measure,
    name: str,
    months: list[dt.date],
    cells: list[Cell],
    annotations: Sequence[PdsaAnnotation] = (),
) -> Series:
    """Return one chart's series: small cells hidden, limits split at annotated changes."""
    by_month = {c.month: c for c in cells}
    floor = floor_of(measure)
    shown: list[Cell | None] = []
    for m in months:
        cell = by_month.get(m)
        shown.append(cell if cell is not None and cell.denominator >= floor else None)
    usable = [c for c in shown if c is not None]
    notes = sorted(annotations, key=lambda a: (a.on, a.pk or 0))
    if len(usable) < 2:
        return Series(name, months, shown, None, notes, _marks(months, notes))
    plotted = [c.month for c in usable]
    parts = phase_starts(plotted, notes) or None
    if measure.is_median:
        # A median is a measurement, not a count: an I chart with screened moving ranges.
        chart = spc.i_chart([c.figure for c in usable], parts=parts)
    else:
        # P′ (Laney) is robust to the large denominators of network-level data.
        chart = spc.pp_chart(
            [c.numerator for c in usable], [c.denominator for c in usable], parts=parts
        )
    return Series(name, plotted, shown, chart, notes, _marks(plotted, notes))


def annotations_for(measure_id: str) -> list[PdsaAnnotation]:
    return list(
        PdsaAnnotation.objects.filter(measure_id=measure_id)
        .select_related("site", "author")
        .order_by("on", "pk")
    )


def measure_by_site(
    measure: Measure, months: int = 24, today: dt.date | None = None
) -> tuple[Series, list[Series]]:
    """Return the network series and one series per site for the last `months` months."""
    view = measure_view(measure, months, today)
    return view.network, view.sites


def measure_view(measure: Measure, months: int = 24, today: dt.date | None = None) -> MeasureView:
    """Return the network and per-site series, from roll-ups when they cover the window."""
    starts, start, end = window(months, today)
    cells, coverage = cells_for(measure.id, start, end)
    notes = annotations_for(measure.id)
    network_wide = [a for a in notes if a.site_id is None]
    by_site: dict[int, list[Cell]] = defaultdict(list)
    for c in cells:
        by_site[c.site_id].append(c)
    per_site = [
        build_series(
            measure,
            site.name,
            starts,
            by_site.get(site.pk, []),
            network_wide + [a for a in notes if a.site_id == site.pk],
        )
        for site in Site.objects.order_by("name")
    ]
    net = build_series(measure, "Whole network", starts, network(cells), network_wide)
    return MeasureView(net, per_site, coverage)


def funnel(measure: Measure, months: int = 12, today: dt.date | None = None):
    """Return sites' pooled proportions over the window with exact binomial funnel limits."""
    _, start, end = window(months, today)
    cells, _ = cells_for(measure.id, start, end)
    sites = {s.pk: s.name for s in Site.objects.order_by("name")}
    totals = {pk: [0, 0] for pk in sites}
    for c in cells:
        if c.site_id in totals:
            totals[c.site_id][0] += c.numerator
            totals[c.site_id][1] += c.denominator
    floor = floor_of(measure)
    shown = [(pk, n, d) for pk, (n, d) in totals.items() if d >= floor]
    rows = [
        FunnelRow(sites[pk], None, None, None, f"not shown (fewer than {floor})")
        for pk, (n, d) in totals.items()
        if 0 < d < floor
    ]
    if not shown:
        return rows, [], None
    results = classify_sites([n for _, n, _ in shown], [d for _, _, d in shown])
    target = sum(n for _, n, _ in shown) / sum(d for _, _, d in shown)
    rows = [
        FunnelRow(sites[pk], n, d, r.proportion, r.status)
        for (pk, n, d), r in zip(shown, results, strict=True)
    ] + rows
    max_n = max(d for _, _, d in shown)
    ns = sorted({max(1, round(max_n * 1.2 * i / 60)) for i in range(1, 61)})
    return rows, funnel_limits(ns, target), target


__all__ = ["MEASURES", "FunnelRow", "MeasureView", "Series", "funnel", "measure_by_site"]
