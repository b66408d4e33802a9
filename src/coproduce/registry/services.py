"""Registry pages' data: a measure's SPC per site beside the network, and site funnels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from coproduce.people.models import Site
from coproduce.registry import spc
from coproduce.registry.funnel import classify_sites, funnel_limits
from coproduce.registry.measures import MEASURES, Cell, Measure, monthly, network
from coproduce.registry.summary import SMALL_CELL


@dataclass(frozen=True)
class Series:
    name: str
    months: list[dt.date]
    cells: list[Cell | None]  # None: suppressed month (denominator under SMALL_CELL)
    chart: spc.Chart | None


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
    today = today or timezone.localdate()
    starts = month_starts(today, months)
    tz = dt.UTC
    start = dt.datetime.combine(starts[0], dt.time(), tzinfo=tz)
    nxt = (starts[-1] + dt.timedelta(days=32)).replace(day=1)
    end = dt.datetime.combine(nxt, dt.time(), tzinfo=tz)
    return starts, start, end


def _series(name: str, months: list[dt.date], cells: list[Cell]) -> Series:
    by_month = {c.month: c for c in cells}
    shown: list[Cell | None] = []
    for m in months:
        cell = by_month.get(m)
        shown.append(cell if cell is not None and cell.denominator >= SMALL_CELL else None)
    usable = [c for c in shown if c is not None]
    chart = None
    if len(usable) >= 2:
        # P′ (Laney) is robust to the large denominators of network-level data.
        chart = spc.pp_chart([c.numerator for c in usable], [c.denominator for c in usable])
    return Series(name, [c.month for c in usable] if chart else months, shown, chart)


def measure_by_site(measure: Measure, months: int = 24, today: dt.date | None = None):
    """Return the network series and one series per site for the last `months` months."""
    starts, start, end = window(months, today)
    cells = monthly(measure.id, start, end)
    sites = {s.pk: s.name for s in Site.objects.order_by("name")}
    per_site = [
        _series(name, starts, [c for c in cells if c.site_id == pk]) for pk, name in sites.items()
    ]
    return _series("Whole network", starts, network(cells)), per_site


def funnel(measure: Measure, months: int = 12, today: dt.date | None = None):
    """Return sites' pooled proportions over the window with exact binomial funnel limits."""
    _, start, end = window(months, today)
    cells = monthly(measure.id, start, end)
    sites = {s.pk: s.name for s in Site.objects.order_by("name")}
    totals = {pk: [0, 0] for pk in sites}
    for c in cells:
        totals[c.site_id][0] += c.numerator
        totals[c.site_id][1] += c.denominator
    shown = [(pk, n, d) for pk, (n, d) in totals.items() if d >= SMALL_CELL]
    rows = [
        FunnelRow(sites[pk], None, None, None, "suppressed (fewer than 5)")
        for pk, (n, d) in totals.items()
        if 0 < d < SMALL_CELL
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


__all__ = ["MEASURES", "FunnelRow", "Series", "funnel", "measure_by_site"]
