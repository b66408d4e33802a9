"""The one chart module: accessible SVG drawn on the server (no JavaScript, no CDN).

Every chart has a title and a description (<title>/<desc>, named by aria-labelledby) and the
page shows a table with the same numbers. Trend charts (the dashboard) have severity bands,
goal lines and visit marks; flow diagrams (the CONSORT flow of a study) are boxes and arrows.
This module imports no domain app: callers pass plain values.

Why hand-written SVG and not pygal: pygal has no primitive for shaded value ranges behind a
series (severity bands) or for vertical event marks (visits), and its rendering of three
charts costs a large share of the dashboard's 100 ms budget. The SVG below is ~100 lines, has
no JavaScript, needs no CDN, and carries <title>/<desc> for screen readers; every chart also
has a real table next to it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext


class InstrumentInfo(Protocol):
    """What a trend chart needs of an instrument (visits.clinical.InstrumentInfo has it)."""

    @property
    def title(self) -> str: ...
    @property
    def short(self) -> str: ...
    @property
    def minimum(self) -> float: ...
    @property
    def maximum(self) -> float | None: ...
    @property
    def bands(self) -> Sequence[Any]: ...  # each with lower, upper, level (0-3), short, label

    def band_for(self, value: Any) -> Any: ...


WIDTH, HEIGHT = 480, 230
LEFT, RIGHT, TOP, BOTTOM = 30, 10, 8, 26
BAND_FILLS = ("#e3f1e6", "#fbf0c9", "#fbdcc0", "#f6c9c5")


@dataclass(frozen=True, slots=True)
class Point:
    day: dt.date
    value: float
    n: int  # how many answers this point summarises (1 = a single check-in)
    kind: str  # "each", "latest", "weekly median" or "monthly median"


@dataclass(frozen=True, slots=True)
class Target:
    """A goal (the patient's) or clinical target on a score, drawn as a line on its chart."""

    value: float
    comparator: str  # in words: "at most", "below", ...
    kind: str  # "goal" (the patient's) or "target" (clinical)
    text: str

    @property
    def label(self) -> str:
        shown = {"comparator": self.comparator, "value": _fmt(self.value)}
        if self.kind == "goal":
            return gettext("Goal: %(comparator)s %(value)s") % shown
        return gettext("Clinical target: %(comparator)s %(value)s") % shown


def downsample(rows: Iterable[tuple[dt.date, float]], today: dt.date) -> list[Point]:
    """Weekly medians for the last two years, monthly medians before (rows sorted by day).

    The latest score is always its own point, never pooled into its week's median: the
    chart's dot and the score card must show the same number (a spike must not hide).
    """
    recent_from = today - dt.timedelta(days=730)
    rows = list(rows)
    if not rows:
        return []
    *earlier, (latest_day, latest_value) = rows
    groups: dict[tuple, list[tuple[dt.date, float]]] = {}
    for day, value in earlier:
        if day >= recent_from:
            iso = day.isocalendar()
            key: tuple = ("w", iso.year, iso.week)
        else:
            key = ("m", day.year, day.month)
        groups.setdefault(key, []).append((day, value))
    points = []
    for key, members in groups.items():
        if len(members) == 1:
            day, value = members[0]
            points.append(Point(day, value, 1, "each"))
            continue
        values = [v for _, v in members]
        kind = "weekly median" if key[0] == "w" else "monthly median"
        points.append(Point(members[-1][0], statistics.median(values), len(values), kind))
    points.append(Point(latest_day, latest_value, 1, "latest"))
    points.sort(key=lambda p: (p.day, p.kind == "latest"))
    return points


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def trend_svg(
    info: InstrumentInfo,
    points: Sequence[Point],
    visits: Sequence[dt.date],
    *,
    chart_id: str,
    start: dt.date | None = None,
    today: dt.date,
    targets: Sequence[Target] = (),
) -> SafeString:
    """One chart: bands behind, targets, the series, visit lines; accessible name and text."""
    if not points:
        return mark_safe("")
    first, last = min(start or points[0].day, points[0].day), max(points[-1].day, today)
    span = max((last - first).days, 1)
    top = info.maximum if info.maximum is not None else max(p.value for p in points)
    top = max(top, max(p.value for p in points), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + (day - first).days / span * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - (value - info.minimum) / (top - info.minimum) * plot_h

    parts = []
    for band in info.bands:
        y1, y2 = y(min(band.upper, top)), y(max(band.lower, info.minimum))
        parts.append(
            f'<rect x="{LEFT}" y="{y1:.1f}" width="{plot_w}" height="{y2 - y1:.1f}" '
            f'fill="{BAND_FILLS[band.level]}"/>'
        )
        if y2 - y1 >= 15:  # a label only where it fits; the table and the legend say the rest
            parts.append(
                f'<text x="{LEFT + 4}" y="{y1 + 13:.1f}" class="band-label">'
                f"{escape(band.short)}</text>"
            )
    # Axes: a few value ticks and year (or month) ticks.
    step = 5 if top > 12 else 2
    tick = 0
    while tick <= top:
        parts.append(
            f'<line x1="{LEFT - 3}" x2="{LEFT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'class="axis"/><text x="{LEFT - 5}" y="{y(tick) + 4:.1f}" class="tick" '
            f'text-anchor="end">{tick}</text>'
        )
        tick += step
    for label_day, label in _time_ticks(first, last):
        parts.append(
            f'<line x1="{x(label_day):.1f}" x2="{x(label_day):.1f}" y1="{TOP + plot_h}" '
            f'y2="{TOP + plot_h + 4}" class="axis"/>'
            f'<text x="{x(label_day):.1f}" y="{HEIGHT - 8}" class="tick" '
            f'text-anchor="middle">{label}</text>'
        )
    for visit in visits:
        if first <= visit <= last:
            parts.append(
                f'<line x1="{x(visit):.1f}" x2="{x(visit):.1f}" y1="{TOP}" '
                f'y2="{TOP + plot_h}" class="visit"/>'
            )
    drawn = [t for t in targets if info.minimum <= t.value <= top]
    # One line per value (a goal and a target are often the same number), labels kept apart.
    by_value: dict[float, list[Target]] = {}
    for t in drawn:
        by_value.setdefault(t.value, []).append(t)
    last_label_y = None
    for value, group in sorted(by_value.items(), reverse=True):
        kinds = {t.kind for t in group}
        kind = "goal" if "goal" in kinds else "target"
        label = (
            gettext("Goal and clinical target: %(comparator)s %(value)s")
            % {"comparator": group[0].comparator, "value": _fmt(value)}
            if len(kinds) > 1
            else group[0].label
        )
        label_y = y(value) - 4
        if last_label_y is not None and label_y - last_label_y < 14:
            label_y = y(value) + 14
        last_label_y = label_y
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" class="target target-{kind}"/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{label_y:.1f}" class="target-label" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    coords = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in points)
    parts.append(f'<polyline points="{coords}" class="series"/>')
    end = points[-1]
    parts.append(f'<circle cx="{x(end.day):.1f}" cy="{y(end.value):.1f}" r="4" class="latest"/>')
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" class="axis"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'class="axis"/>'
    )
    end_band = info.band_for(end.value)
    seen_visits = sum(first <= v <= last for v in visits)
    desc = " ".join(
        [
            ngettext(
                "%(score)s from %(first)s to %(last)s, %(n)d point; latest %(latest)s on %(day)s.",
                "%(score)s from %(first)s to %(last)s, %(n)d points; latest %(latest)s on %(day)s.",
                len(points),
            )
            % {
                "score": info.short,
                "first": f"{points[0].day:%Y-%m-%d}",
                "last": f"{end.day:%Y-%m-%d}",
                "n": len(points),
                "latest": _fmt(end.value) + (f" ({end_band.shown})" if end_band else ""),
                "day": f"{end.day:%Y-%m-%d}",
            },
            *(
                gettext("A solid line marks %(target)s (%(text)s).")
                % {"target": t.label.lower(), "text": t.text}
                for t in drawn
            ),
            ngettext(
                "Dashed lines mark %(n)d visit.", "Dashed lines mark %(n)d visits.", seen_visits
            )
            % {"n": seen_visits},
            gettext("The table below the chart has the same numbers."),
        ]
    )
    return _svg(
        "trend",
        f"{WIDTH} {HEIGHT}",
        chart_id,
        gettext("%(score)s over time") % {"score": info.title},
        desc,
        parts,
        attrs='preserveAspectRatio="xMidYMid meet"',
    )


def _svg(
    kind: str,
    size: str,
    chart_id: str,
    title: str,
    description: str,
    parts: Sequence[str],
    *,
    attrs: str = 'font-family="system-ui, sans-serif"',
) -> SafeString:
    """Wrap drawn parts (already escaped) in an SVG named by its title and description."""
    svg = (
        f'<svg class="{kind}" viewBox="0 0 {size}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" {attrs}>'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>' + "".join(parts) + "</svg>"
    )
    # The title and description are escaped here, every part by the function that drew it.
    return mark_safe(svg)  # noqa: S308


def _time_ticks(first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
    years = last.year - first.year
    if years >= 2:
        every = max(1, years // 6 + (1 if years > 6 else 0))
        return [
            (dt.date(year, 1, 1), str(year))
            for year in range(first.year + 1, last.year + 1)
            if (year - first.year - 1) % every == 0
        ]
    ticks = []
    month = dt.date(first.year, first.month, 1)
    span_months = (last.year - first.year) * 12 + last.month - first.month
    every = max(1, span_months // 6)
    i = 0
    while month <= last:
        if month > first and i % every == 0:
            ticks.append((month, date_format(month, "M y")))
        i += 1
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks


def table_rows(points: Sequence[Point]) -> SafeString:
    """The chart's numbers as table rows, newest first.

    Built here rather than in the template: ten years of points would otherwise cost more
    template-variable lookups than everything else on the page together.
    """
    shown: dict[tuple[str, int], str] = {}  # one lookup per kind and count, not per row

    def what(p: Point) -> str:
        key = (p.kind, p.n)
        if key not in shown:
            shown[key] = escape(_what(p.kind, p.n))
        return shown[key]

    rows = [
        f'<tr><td>{p.day:%Y-%m-%d}</td><td class="num">{_fmt(p.value)}</td><td>{what(p)}</td></tr>'
        for p in reversed(points)
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 - dates, numbers and fixed words only


def _what(kind: str, n: int) -> str:
    """What a table row's number is, in the reader's language."""
    if n == 1:
        return gettext("one check-in")
    if kind == "weekly median":
        return ngettext("weekly median of %(n)d", "weekly median of %(n)d", n) % {"n": n}
    if kind == "monthly median":
        return ngettext("monthly median of %(n)d", "monthly median of %(n)d", n) % {"n": n}
    return ngettext("%(n)d check-in", "%(n)d check-ins", n) % {"n": n}


# --- Flow diagrams (boxes and arrows) -------------------------------------------------------

BOX_W, LINE_H, PAD, GAP = 270, 17, 8, 34
WRAP = 31  # characters per line inside a box (13px text, bold headings)


@dataclass(frozen=True, slots=True)
class Box:
    """One box of a flow diagram: a heading line, then detail lines (wrapped to fit)."""

    heading: str
    details: tuple[str, ...] = ()

    def lines(self) -> list[tuple[str, bool]]:
        import textwrap

        out = [(line, True) for line in textwrap.wrap(self.heading, WRAP)]
        for detail in self.details:
            out += [(line, False) for line in textwrap.wrap(detail, WRAP)]
        return out

    def height(self) -> int:
        return PAD * 2 + LINE_H * len(self.lines())


def _box(box: Box, cx: float, y: float) -> str:
    x = cx - BOX_W / 2
    parts = [
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{box.height()}" rx="3" '
        'fill="#ffffff" stroke="#1b1f24" stroke-width="1.2"/>'
    ]
    for n, (line, strong) in enumerate(box.lines()):
        weight = ' font-weight="600"' if strong else ""
        parts.append(
            f'<text x="{x + PAD:.1f}" y="{y + PAD + 13 + n * LINE_H:.1f}" font-size="13" '
            f'fill="#1b1f24"{weight}>{escape(line)}</text>'
        )
    return "".join(parts)


def _arrow(x1: float, y1: float, x2: float, y2: float, chart_id: str) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#1b1f24" '
        f'stroke-width="1.4" marker-end="url(#{chart_id}-head)"/>'
    )


def flow_svg(
    *,
    chart_id: str,
    title: str,
    description: str,
    start: Box,
    side: Box,
    split: Box,
    columns: Sequence[Sequence[Box]],
) -> SafeString:
    """A CONSORT-style flow: `start` → `split`, with `side` (the excluded) off the arrow
    between them, then one column of boxes per branch (arm) under `split`, joined by arrows."""
    n = max(len(columns), 1)
    width = max(2 * BOX_W + 80, n * (BOX_W + 30) + 20)
    centre = width / 2
    side_x = min(centre + BOX_W / 2 + 40 + BOX_W / 2, width - BOX_W / 2 - 10)
    parts: list[str] = []
    y = 10.0
    parts.append(_box(start, centre, y))
    y += start.height()
    # The excluded box sits beside the arrow from `start` to `split`.
    side_top = y + GAP / 2
    arrow_end = side_top + side.height() + GAP / 2
    parts.append(_arrow(centre, y, centre, arrow_end, chart_id))
    side_mid = side_top + side.height() / 2
    parts.append(_arrow(centre, side_mid, side_x - BOX_W / 2, side_mid, chart_id))
    parts.append(_box(side, side_x, side_top))
    y = arrow_end
    parts.append(_box(split, centre, y))
    y += split.height()
    xs = [width * (i + 0.5) / n for i in range(n)]
    if columns:
        rail = y + GAP / 2
        parts.append(
            f'<line x1="{centre:.1f}" y1="{y:.1f}" x2="{centre:.1f}" y2="{rail:.1f}" '
            'stroke="#1b1f24" stroke-width="1.4"/>'
        )
        if n > 1:
            parts.append(
                f'<line x1="{xs[0]:.1f}" y1="{rail:.1f}" x2="{xs[-1]:.1f}" y2="{rail:.1f}" '
                'stroke="#1b1f24" stroke-width="1.4"/>'
            )
        rows = max(len(c) for c in columns)
        row_h = [max(c[r].height() if r < len(c) else 0 for c in columns) for r in range(rows)]
        top = rail + GAP / 2
        for cx, column in zip(xs, columns, strict=True):
            parts.append(_arrow(cx, rail, cx, top, chart_id))
            row_y = top
            for r, box in enumerate(column):
                parts.append(_box(box, cx, row_y))
                if r + 1 < len(column):
                    parts.append(
                        _arrow(cx, row_y + box.height(), cx, row_y + row_h[r] + GAP, chart_id)
                    )
                row_y += row_h[r] + GAP
        y = top + sum(row_h) + GAP * (rows - 1)
    height = y + 12
    head = (
        f'<defs><marker id="{chart_id}-head" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#1b1f24"/></marker></defs>'
    )
    return _svg("flow", f"{width:.0f} {height:.0f}", chart_id, title, description, [head, *parts])


# --- Line and dot charts (SPC, funnel plots) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """A series drawn as a line; None breaks it (a month with too few to show)."""

    name: str  # in the legend ("" for none: a second limit line shares the first's entry)
    points: Sequence[tuple[float, float] | None]
    colour: str
    dash: str = ""  # SVG stroke-dasharray, "" for solid
    dots: bool = False


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    label: str  # the dot's own <title> (a site's name, a change tested)
    colour: str
    r: float = 4


XY_W, XY_H = 560, 340
XY_LEFT, XY_RIGHT, XY_TOP, XY_BOTTOM = 52, 14, 12, 74


def xy_svg(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[float],
    x_title: str = "",
    y_title: str = "",
    lines: Sequence[Line] = (),
    dots: Sequence[Dot] = (),
    dots_name: str = "",
) -> SafeString:
    """A chart of lines and dots on two numeric axes, with a legend under it.

    Colours belong to what a series is (the caller passes them), never to its position.
    """
    plot_w, plot_h = XY_W - XY_LEFT - XY_RIGHT, XY_H - XY_TOP - XY_BOTTOM
    (x0, x1), (y0, y1) = x_range, y_range
    x_span, y_span = (x1 - x0) or 1, (y1 - y0) or 1

    def x(v: float) -> float:
        return XY_LEFT + (v - x0) / x_span * plot_w

    def y(v: float) -> float:
        return XY_TOP + plot_h - (min(max(v, y0), y1) - y0) / y_span * plot_h

    parts = [
        f'<rect x="{XY_LEFT}" y="{XY_TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        'stroke="#c9ced4"/>'
    ]
    for tick in y_ticks:
        parts.append(
            f'<line x1="{XY_LEFT}" x2="{XY_LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#e6e9ec"/><text x="{XY_LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="12" '
            f'text-anchor="end" fill="#1b1f24">{_fmt(tick)}</text>'
        )
    for value, label in x_ticks:
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{XY_TOP + plot_h}" '
            f'y2="{XY_TOP + plot_h + 4}" stroke="#1b1f24"/><text x="{x(value):.1f}" '
            f'y="{XY_TOP + plot_h + 18}" font-size="12" text-anchor="middle" '
            f'fill="#1b1f24">{escape(label)}</text>'
        )
    if y_title:
        parts.append(
            f'<text x="14" y="{XY_TOP + plot_h / 2:.1f}" font-size="12" fill="#1b1f24" '
            f'text-anchor="middle" transform="rotate(-90 14 {XY_TOP + plot_h / 2:.1f})">'
            f"{escape(y_title)}</text>"
        )
    if x_title:
        parts.append(
            f'<text x="{XY_LEFT + plot_w / 2:.1f}" y="{XY_TOP + plot_h + 36}" font-size="12" '
            f'text-anchor="middle" fill="#1b1f24">{escape(x_title)}</text>'
        )
    for line in lines:
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        run: list[str] = []
        for point in [*line.points, None]:
            if point is not None:
                run.append(f"{x(point[0]):.1f},{y(point[1]):.1f}")
                continue
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{line.colour}" '
                    f'stroke-width="2"{dash}/>'
                )
            run = []
        if line.dots:
            parts += [
                f'<circle cx="{x(p[0]):.1f}" cy="{y(p[1]):.1f}" r="3" fill="{line.colour}"/>'
                for p in line.points
                if p is not None
            ]
    for dot in dots:
        parts.append(
            f'<circle cx="{x(dot.x):.1f}" cy="{y(dot.y):.1f}" r="{dot.r}" fill="{dot.colour}" '
            f'stroke="#ffffff"><title>{escape(dot.label)}</title></circle>'
        )
    legend = [(line.name, line.colour, line.dash) for line in lines if line.name]
    if dots and dots_name:
        legend.append((dots_name, dots[0].colour, "dot"))
    lx, ly = XY_LEFT, XY_H - 16
    for name, colour, dash in legend:
        if dash == "dot":
            parts.append(f'<circle cx="{lx + 9}" cy="{ly - 4}" r="5" fill="{colour}"/>')
        else:
            style = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
                f'stroke-width="2"{style}/>'
            )
        parts.append(
            f'<text x="{lx + 24}" y="{ly}" font-size="12" fill="#1b1f24">{escape(name)}</text>'
        )
        lx += 34 + 7 * len(name)
    return _svg("xy", f"{XY_W} {XY_H}", chart_id, title, description, parts)
