"""Server-rendered SVG charts for the registry pages (pygal; no JavaScript, no CDN)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pygal
from pygal.style import Style

from coproduce.registry.funnel import FunnelLimits
from coproduce.registry.spc import Chart


def _style(colors: tuple[str, ...]) -> Style:
    return Style(
        background="white",
        plot_background="white",
        foreground="#1b1f24",
        foreground_strong="#1b1f24",
        foreground_subtle="#4a5560",
        colors=colors,
        font_family="system-ui, sans-serif",
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        title_font_size=16,
    )


# One colour per added series, in order; the unnamed lower limit repeats its upper's colour.
_SPC_STYLE = _style(("#0b5c8a", "#4a5560", "#a3231b", "#a3231b", "#b35c00"))
_FUNNEL_STYLE = _style(("#a3231b", "#a3231b", "#b35c00", "#b35c00", "#0b5c8a"))


# pygal writes a config <script> for its tooltips (which we do not load) and an inline
# style on the tooltip group; the CSP forbids both, so they go. Its <style> element gets
# the response's nonce in the template (|csp_nonce).
_SCRIPT_RE = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _without_script(svg: str) -> str:
    return _SCRIPT_RE.sub("", svg).replace(' style="opacity: 0"', "")


def _base(cls, title: str | None, style: Style = _SPC_STYLE, width=720, height=320, **kw):
    return cls(
        js=[],
        disable_xml_declaration=True,
        style=style,
        width=width,
        height=height,
        truncate_label=-1,
        explicit_size=False,
        title=title,
        legend_at_bottom=True,
        truncate_legend=-1,
        print_values=False,
        **kw,
    )


def spc_svg(
    title: str,
    labels: Sequence[str],
    chart: Chart,
    *,
    percent: bool = True,
    y_title: str = "%",
    marks: Sequence[tuple[int, str]] = (),
) -> str:
    """Return an SVG of an SPC chart: values, centre line, control limits and PDSA marks.

    `marks` are (index, title) of changes tested; they are drawn as large orange dots on the
    observed value, with the title as the point's tooltip. New phases show as steps in the
    centre line and limits.
    """
    scale = 100.0 if percent else 1.0

    def scaled(values):
        return [None if v is None else round(v * scale, 2) for v in values]

    # Drawn small (two per row, or a phone's width): fewer, larger labels. The panel's
    # heading names the chart, so the SVG carries no title of its own.
    line = _base(
        pygal.Line,
        None,
        width=520,
        height=340,
        x_labels=list(labels),
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(labels) // 4),
        x_label_rotation=0,
        y_title=y_title,
        range=(0, 100) if percent else None,
        y_labels=list(range(0, 101, 20)) if percent else None,
        allow_interruptions=True,
    )
    line.add("Observed", scaled(chart.y), show_dots=True, dots_size=3)
    line.add("Centre", scaled(chart.centre), show_dots=False, stroke_style={"dasharray": "6,4"})
    line.add(
        "Control limits",
        scaled(chart.ucl),
        show_dots=False,
        stroke_style={"dasharray": "2,3"},
    )
    line.add(None, scaled(chart.lcl), show_dots=False, stroke_style={"dasharray": "2,3"})
    if marks:
        points: list = [None] * len(chart.y)
        for index, text in marks:
            if 0 <= index < len(points):
                points[index] = {"value": round(chart.y[index] * scale, 2), "label": text}
        line.add("Change tested (PDSA)", points, stroke=False, dots_size=7)
    return _without_script(line.render(is_unicode=True))


def funnel_svg(
    title: str, limits: Sequence[FunnelLimits], points: Sequence[tuple[str, int, float]]
) -> str:
    """Return an SVG funnel plot: 95 % and 99.8 % limits against denominator, one dot per site."""
    xy = _base(
        pygal.XY,
        title,
        style=_FUNNEL_STYLE,
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
    return _without_script(xy.render(is_unicode=True))
