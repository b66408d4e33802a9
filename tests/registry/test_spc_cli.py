"""`coproduce spc`: the management command over CSV files (no database needed)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest import approx

WORKED_I = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def _csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _spc(*args: str) -> dict:
    out = StringIO()
    call_command("spc", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_i_chart_of_the_worked_example(tmp_path):
    rows = "\n".join(f"2024-{i + 1:02d},{v}" for i, v in enumerate(WORKED_I[:12]))
    rows += "\n" + "\n".join(f"2025-{i + 1:02d},{v}" for i, v in enumerate(WORKED_I[12:]))
    result = _spc("--chart", "i", "--input", _csv(tmp_path, "x,y\n" + rows + "\n"))
    assert result["chart"] == "i"
    assert result["x"][:2] == ["2024-01", "2024-02"]
    assert result["y"] == WORKED_I
    assert result["centre"][0] == approx(1.94, abs=0.005)
    assert result["ucl"][0] == approx(4.60, abs=0.005)
    assert result["lcl"][0] == approx(-0.72, abs=0.005)
    assert result["signals"] == [4]
    assert set(result["runs"]) == {
        "longest_run",
        "longest_run_max",
        "crossings",
        "crossings_min",
        "signal",
    }


def test_it_prints_a_p_chart_with_proportions_and_clipped_limits(tmp_path):
    path = _csv(tmp_path, "x,y,n\na,9542,99900\nb,9,100\n")
    result = _spc("--chart", "p", "--input", path)
    assert result["y"] == approx([9542 / 99900, 0.09])
    assert result["centre"] == approx([0.09551, 0.09551])
    assert result["ucl"][1] == approx(0.183686, abs=1e-6)


def test_it_prints_a_run_chart_with_no_limits(tmp_path):
    path = _csv(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(1, 21)))
    result = _spc("--chart", "run", "--input", path)
    assert result["lcl"] == [None] * 20
    assert result["runs"] == {
        "longest_run": 10,
        "longest_run_max": 7,
        "crossings": 1,
        "crossings_min": 6,
        "signal": True,
    }


def test_it_freezes_the_baseline(tmp_path):
    path = _csv(tmp_path, "x,y\n1,1\n2,2\n3,3\n4,4\n5,5\n6,100\n7,100\n")
    result = _spc("--chart", "i", "--input", path, "--freeze", "5")
    assert result["centre"] == [3.0] * 7
    assert result["signals"] == [5, 6]


def test_it_recalculates_limits_after_a_change(tmp_path):
    path = _csv(tmp_path, "x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate([1, 2, 1, 9, 8, 9])))
    result = _spc("--chart", "c", "--input", path, "--parts", "3")
    assert result["centre"] == approx([4 / 3] * 3 + [26 / 3] * 3)


@pytest.mark.parametrize(
    ("chart", "text", "message"),
    [
        ("i", "x,value\n1,2\n", "missing column 'y'"),
        ("p", "x,y\n1,2\n", "missing column 'n' (a p chart needs n)"),
        ("u", "x,y\n1,2\n", "missing column 'n' (a u chart needs n)"),
        ("i", "x,y\n1,2\n2,abc\n", "line 3, column 'y': 'abc' is not a number"),
        ("p", "x,y,n\n1,2,ten\n", "line 2, column 'n': 'ten' is not a number"),
        ("p", "x,y,n\n1,2,\n", "line 2, column 'n': the value is missing"),
        ("p", "x,y,n\n1,2,5\n2,1,0\n", "line 3, column 'n': n must be positive"),
        ("pp", "x,y,n\n1,6,5\n", "line 2: y (6) is larger than n (5)"),
        ("c", "x,y\n1,-1\n", "line 2, column 'y': a count cannot be negative"),
        ("i", "x,y\n1,inf\n", "not a finite number"),
        ("i", "x,y\n", "no data rows"),
    ],
)
def test_it_rejects_bad_input_with_a_specific_message(tmp_path, chart, text, message):
    with pytest.raises(CommandError) as excinfo:
        _spc("--chart", chart, "--input", _csv(tmp_path, text))
    assert message in str(excinfo.value)


def test_it_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="input file not found"):
        _spc("--chart", "i", "--input", str(tmp_path / "nope.csv"))


def test_it_reports_a_freeze_beyond_the_data(tmp_path):
    with pytest.raises(CommandError, match="freeze must be between 1 and 2"):
        _spc("--chart", "i", "--input", _csv(tmp_path, "x,y\n1,1\n2,2\n"), "--freeze", "3")


def test_it_reports_bad_parts(tmp_path):
    with pytest.raises(CommandError, match="--parts must be comma-separated integers"):
        _spc("--chart", "i", "--input", _csv(tmp_path, "x,y\n1,1\n2,2\n"), "--parts", "a")
