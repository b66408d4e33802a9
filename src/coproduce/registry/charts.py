"""Server-rendered SVG charts for the registry pages (pygal; no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from pygal.style import Style

from coproduce.registry.funnel import FunnelLimits
from coproduce.registry.spc import Chart

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5560",
    colors=("#0b5c8a", "#4a5560", "#a3231b", "#a3231b", "#1e6b35"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
)


def _base(cls, title: str, **kw):
    return cls(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        width=720,
        height=320,
        explicit_size=False,
        title=title,
        legend_at_bottom=True,
        truncate_legend=-1,
        print_values=False,
        **kw,
    )


def spc_svg(title: str, labels: Sequence[str], chart: Chart, *, percent: bool = True) -> str:
    """Return an SVG of an SPC chart: values, centre line and control limits."""
    scale = 100.0 if percent else 1.0

    def scaled(values):
        return [None if v is None else round(v * scale, 2) for v in values]

    line = _base(
        pygal.Line,
        title,
        x_labels=list(labels),
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(labels) // 8),
        range=(0, 100) if percent else None,
    )
    line.add("Observed", scaled(chart.y), show_dots=True, dots_size=3)
    line.add("Centre", scaled(chart.centre), show_dots=False, stroke_style={"dasharray": "6,4"})
    line.add("Upper limit", scaled(chart.ucl), show_dots=False, stroke_style={"dasharray": "2,3"})
    line.add("Lower limit", scaled(chart.lcl), show_dots=False, stroke_style={"dasharray": "2,3"})
    return line.render(is_unicode=True)


def funnel_svg(
    title: str, limits: Sequence[FunnelLimits], points: Sequence[tuple[str, int, float]]
) -> str:
    """Return an SVG funnel plot: 95 % and 99.8 % limits against denominator, one dot per site."""
    xy = _base(
        pygal.XY,
        title,
        x_title="Patients or events (denominator)",
        y_title="%",
        range=(0, 100),
        dots_size=2,
    )
    for name, lower, upper in (
        ("99.8 % limits", "lower998", "upper998"),
        ("95 % limits", "lower95", "upper95"),
    ):
        xy.add(
            name, [(lim.n, round(getattr(lim, upper) * 100, 2)) for lim in limits], show_dots=False
        )
        xy.add(
            None, [(lim.n, round(getattr(lim, lower) * 100, 2)) for lim in limits], show_dots=False
        )
    xy.add(
        "Sites",
        [{"value": (n, round(p * 100, 2)), "label": name} for name, n, p in points],
        stroke=False,
        dots_size=6,
    )
    return xy.render(is_unicode=True)
