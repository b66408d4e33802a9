"""`coproduce spc`: compute an SPC chart from a CSV file and print it as JSON."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coproduce.registry.spc import CHART_KINDS, CHARTS_WITH_DENOMINATOR, make_chart

COUNT_CHARTS = frozenset({"p", "pp", "u", "up", "c"})


class Command(BaseCommand):
    help = (
        "Compute an SPC chart from a CSV with columns x,y (and n for p, pp, u, up charts) "
        "and print centre, limits, signals and the Anhøj runs analysis as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chart", required=True, choices=CHART_KINDS)
        parser.add_argument("--input", required=True, help="CSV file with a header row")
        parser.add_argument(
            "--freeze", type=int, help="compute centre and limits from the first N points only"
        )
        parser.add_argument(
            "--parts",
            default="",
            help="comma-separated 0-based indices where a new phase starts, e.g. 12,24",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["chart"]
        x, y, n = read_series(Path(options["input"]), kind)
        parts = parse_parts(options["parts"])
        try:
            chart = make_chart(kind, y, n, parts=parts, freeze=options["freeze"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # An MR chart has one point fewer than the data: its first point is the range
        # between the first two rows.
        xs = x[1:] if kind == "mr" else x
        result = {
            "chart": kind,
            "x": xs,
            "y": chart.y,
            "centre": chart.centre,
            "lcl": chart.lcl,
            "ucl": chart.ucl,
            "signals": chart.signals,
            "runs": chart.runs.as_dict(),
            "rules": chart.rules,
        }
        self.stdout.write(json.dumps(result))


def parse_parts(text: str) -> list[int]:
    """Return the phase-start indices given as "12,24"."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--parts must be comma-separated integers, got {text!r}") from exc


def _number(raw: str | None, line: int, column: str) -> float:
    if not (raw or "").strip():
        raise CommandError(f"line {line}, column '{column}': the value is missing")
    try:
        value = float((raw or "").strip())
    except ValueError:
        raise CommandError(f"line {line}, column '{column}': {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise CommandError(f"line {line}, column '{column}': {raw!r} is not a finite number")
    return value


def read_series(path: Path, kind: str) -> tuple[list[str], list[float], list[float] | None]:
    """Read x, y and (for P and U charts) n from a CSV; raise CommandError on bad input."""
    needs_n = kind in CHARTS_WITH_DENOMINATOR
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            required = ["x", "y", "n"] if needs_n else ["x", "y"]
            missing = [c for c in required if c not in columns]
            if missing:
                names = ", ".join(repr(c) for c in missing)
                for_chart = f" (a {kind} chart needs n)" if "n" in missing else ""
                raise CommandError(f"{path}: missing column {names}{for_chart}")
            reader.fieldnames = columns
            x: list[str] = []
            y: list[float] = []
            n: list[float] = []
            for row in reader:
                line = reader.line_num
                x.append((row["x"] or "").strip())
                value = _number(row["y"], line, "y")
                if kind in COUNT_CHARTS and value < 0:
                    raise CommandError(f"line {line}, column 'y': a count cannot be negative")
                y.append(value)
                if needs_n:
                    size = _number(row["n"], line, "n")
                    if size <= 0:
                        raise CommandError(f"line {line}, column 'n': n must be positive")
                    if kind in {"p", "pp"} and value > size:
                        raise CommandError(
                            f"line {line}: y ({value:g}) is larger than n ({size:g}); "
                            "a proportion cannot exceed 1"
                        )
                    n.append(size)
    except FileNotFoundError:
        raise CommandError(f"input file not found: {path}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{path}: not a readable CSV file ({exc})") from None
    if not y:
        raise CommandError(f"{path}: no data rows")
    return x, y, n if needs_n else None
