"""The one chart module: every chart is named and described; pygal is gone."""

from __future__ import annotations

import re
from pathlib import Path

from coproduce.registry.charts import funnel_svg, spc_svg
from coproduce.registry.funnel import FunnelLimits
from coproduce.registry.spc import p_chart

SRC = Path(__file__).resolve().parents[2] / "src" / "coproduce"


def _named(svg: str) -> None:
    assert 'role="img"' in svg and "aria-labelledby=" in svg
    [labelled] = re.findall(r'aria-labelledby="([^"]+)"', svg)
    for ident in labelled.split():
        assert f'id="{ident}"' in svg
    assert re.search(r"<title id=[^>]+>[^<]+</title>", svg)
    assert re.search(r"<desc id=[^>]+>[^<]+</desc>", svg)


def test_no_code_imports_pygal():
    users = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if re.search(r"^\s*(import|from) pygal", p.read_text(encoding="utf-8"), re.M)
    ]
    assert users == []
    pyproject = (SRC.parents[1] / "pyproject.toml").read_text()
    assert "pygal" not in pyproject


def test_an_spc_chart_is_named_described_and_coloured_by_what_a_series_is():
    chart = p_chart([40, 42, 45, 41, 60, 44] * 3, [100] * 18)
    labels = [f"M{n}" for n in range(18)]
    svg = spc_svg("North", labels, chart, marks=[(4, "Reminder <by text>")])
    _named(svg)
    assert '<title id="spc-north-t">North: control chart</title>' in svg
    assert "Reminder &lt;by text&gt;" in svg  # the change tested, escaped
    # The observed series is blue whichever order the lines come in; limits are red.
    assert 'stroke="#0b5c8a"' in svg and 'stroke="#a3231b"' in svg
    assert "<script" not in svg and "style=" not in svg  # nothing the CSP would refuse


def test_a_funnel_plot_is_named_and_described():
    limits = [FunnelLimits(n, 0.5, 0.4, 0.6, 0.3, 0.7) for n in (10, 50, 100)]
    svg = funnel_svg("Sites", limits, [("North", 50, 0.9), ("South", 100, 0.5)])
    _named(svg)
    assert "1 outside the 99.8 % limits" in svg
    assert "<title>North</title>" in svg
