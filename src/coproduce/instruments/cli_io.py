"""Reading answer files and writing scores for the ``score`` and ``index`` commands."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from coproduce.instruments.definitions import Definition
from coproduce.instruments.results import InvalidResponse, ScoreResult
from coproduce.instruments.scoring import score_definition

BASE_COLUMNS = (
    "row", "_id", "instrument_id", "version", "score", "band", "band_label", "flags",
    "complete", "reason",
)  # fmt: skip
MAX_REPORTED = 10


def read_rows(path: str) -> list[dict[str, Any]]:
    """A JSON list of objects, or a CSV with one column per linkId (blank = unanswered)."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    text = file.read_text(encoding="utf-8-sig")
    if file.suffix.lower() == ".csv" or (not text.lstrip().startswith(("[", "{"))):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise CommandError(f"{path}: the CSV has no header row of linkIds")
        rows = []
        for n, row in enumerate(reader, 1):
            if None in row:
                raise CommandError(f"{path}: row {n} has more cells than the header")
            rows.append({k.strip(): v for k, v in row.items() if k is not None})
        return rows
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise CommandError(f"{path}: expected a JSON list of objects mapping linkId to answer")
    return data


def score_rows(definition: Definition, rows: Sequence[dict[str, Any]]) -> list[ScoreResult]:
    """Score every row, or raise CommandError listing the bad rows (nothing is printed)."""
    results, errors = [], []
    for n, row in enumerate(rows, 1):
        try:
            results.append(score_definition(definition, row))
        except InvalidResponse as exc:
            errors.append(f"row {n}: {exc}")
    if errors:
        more = len(errors) - MAX_REPORTED
        raise CommandError(
            f"{len(errors)} of {len(rows)} responses are invalid for {definition.id} "
            f"{definition.version}; nothing was scored:\n  "
            + "\n  ".join(errors[:MAX_REPORTED])
            + (f"\n  ... and {more} more" if more > 0 else "")
        )
    return results


def write_results(
    stdout: Any, rows: Sequence[dict[str, Any]], results: Sequence[ScoreResult], fmt: str
) -> None:
    records = []
    for n, (row, res) in enumerate(zip(rows, results, strict=True), 1):
        record = {"row": n, **({"_id": row["_id"]} if row.get("_id") else {}), **res.to_dict()}
        records.append(record)
    if fmt == "json":
        for record in records:
            stdout.write(json.dumps(record, ensure_ascii=False))
        return
    derived_keys = sorted({k for r in results for k in r.derived})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*BASE_COLUMNS, *derived_keys])
    for record in records:
        writer.writerow(
            [
                *(
                    ";".join(record["flags"]) if c == "flags" else _cell(record.get(c))
                    for c in BASE_COLUMNS
                ),
                *(_cell(record["derived"].get(k)) for k in derived_keys),
            ]
        )
    stdout.write(buffer.getvalue().rstrip("\n"))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
