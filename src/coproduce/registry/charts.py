"""The registry's charts (SPC and funnel plots), drawn by the one chart module.

Each colour belongs to what a series is (observed, centre, limits, change tested), not to
the order series are added. Every chart has a title and a description; the page shows the
same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from coproduce.platform.charts import Dot, Line, xy_svg
from coproduce.registry.funnel import FunnelLimits
from coproduce.registry.spc import Chart

OBSERVED, CENTRE, LIMIT, INNER_LIMIT, CHANGE = "#0b5c8a", "#4a5560", "#a3231b", "#b35c00", "#b35c00"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40] or "chart"


def spc_svg(
    title: str,
    labels: Sequence[str],
    chart: Chart,
    *,
    percent: bool = True,
    y_title: str = "%",
    marks: Sequence[tuple[int, str]] = (),
) -> SafeString:
    """An SPC chart: values, centre line, control limits (steps at new phases), PDSA marks.

    `marks` are (index, title) of changes tested, drawn as large orange dots on the observed
    value with the title as the dot's own text.
    """
    scale = 100.0 if percent else 1.0

    def series(values: Sequence[float | None]) -> list[tuple[float, float] | None]:
        return [None if v is None else (i, round(v * scale, 2)) for i, v in enumerate(values)]

    shown = [v * scale for v in [*chart.y, *chart.ucl] if v is not None]
    top = 100.0 if percent else max([*shown, 1.0]) * 1.1
    every = max(1, len(labels) // 4)
    dots = [
        Dot(i, round(chart.y[i] * scale, 2), text, CHANGE, r=7)
        for i, text in marks
        if 0 <= i < len(chart.y) and chart.y[i] is not None
    ]
    signals = len(chart.signals)
    description = _(
        "%(name)s by month, %(first)s to %(last)s: %(n)s months, latest %(latest)s %(unit)s; "
        "%(signals)s outside the control limits; %(marks)s changes tested marked. "
        "The table under the chart has every month."
    ) % {
        "name": title,
        "first": labels[0] if labels else "",
        "last": labels[-1] if labels else "",
        "n": len(chart.y),
        "latest": round(chart.y[-1] * scale, 1) if chart.y else "",
        "unit": y_title,
        "signals": signals,
        "marks": len(dots),
    }
    step = 20 if percent else max(1, round(top / 5))
    return xy_svg(
        chart_id=f"spc-{_slug(title)}",
        title=_("%(name)s: control chart") % {"name": title},
        description=description,
        x_range=(0, max(len(labels) - 1, 1)),
        y_range=(0, top),
        x_ticks=[(i, label) for i, label in enumerate(labels) if i % every == 0],
        y_ticks=[float(v) for v in range(0, int(top) + 1, step)],
        y_title=y_title,
        lines=[
            Line(_("Observed"), series(chart.y), OBSERVED, dots=True),
            Line(_("Centre"), series(chart.centre), CENTRE, dash="6,4"),
            Line(_("Control limits"), series(chart.ucl), LIMIT, dash="2,3"),
            Line("", series(chart.lcl), LIMIT, dash="2,3"),
        ],
        dots=dots,
        dots_name=_("Change tested (PDSA)"),
    )


def funnel_svg(
    title: str, limits: Sequence[FunnelLimits], points: Sequence[tuple[str, int, float]]
) -> SafeString:
    """A funnel plot: 95 % and 99.8 % limits against denominator, one dot per site."""
    widest = max([lim.n for lim in limits] + [n for _, n, _ in points] + [1])

    def limit(attr: str) -> list[tuple[float, float] | None]:
        return [(lim.n, round(getattr(lim, attr) * 100, 2)) for lim in limits]

    outside = sum(
        1
        for _name, n, p in points
        for lim in limits
        if lim.n == n and not lim.lower998 <= p <= lim.upper998
    )
    description = _(
        "%(title)s. %(sites)s sites plotted by the number of patients or events against "
        "their percentage, inside funnel-shaped 95 %% and 99.8 %% limits; %(outside)s outside "
        "the 99.8 %% limits. The table under the chart has every site."
    ) % {"title": title, "sites": len(points), "outside": outside}
    ticks = [round(widest * k / 4) for k in range(5)]
    return xy_svg(
        chart_id=f"funnel-{_slug(title)}",
        title=title,
        description=description,
        x_range=(0, widest),
        y_range=(0, 100),
        x_ticks=[(t, str(t)) for t in ticks],
        y_ticks=[float(v) for v in range(0, 101, 20)],
        x_title=_("Patients or events (denominator)"),
        y_title="%",
        lines=[
            Line(_("%(p)s %% limits") % {"p": "99.8"}, limit("upper998"), LIMIT),
            Line("", limit("lower998"), LIMIT),
            Line(_("%(p)s %% limits") % {"p": "95"}, limit("upper95"), INNER_LIMIT, dash="5,3"),
            Line("", limit("lower95"), INNER_LIMIT, dash="5,3"),
        ],
        dots=[Dot(n, round(p * 100, 2), name, OBSERVED, r=6) for name, n, p in points],
        dots_name=_("Sites"),
    )
