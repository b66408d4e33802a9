"""``coproduce mme --input FILE [--table cdc-2022]``: daily MME of a medication list as JSON.

``coproduce mme --messages`` writes the factor tables' notes where makemessages finds them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coproduce.careplans.mme import (
    DEFAULT_TABLE,
    MESSAGES_MODULE,
    MMEInputError,
    UnknownFactorTableError,
    available_tables,
    load_table,
    messages_module_source,
    total_mme,
)

FIELDS = ("drug", "strength", "unit", "per_day")


def _number(value: Decimal | None) -> int | float | None:
    """A Decimal as a plain JSON number (180, not 180.0 or "180")."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


class Command(BaseCommand):
    help = (
        "Print the daily morphine milligram equivalents (MME) of a JSON list of medications. "
        "MME is a risk measure, never a conversion between opioids."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input",
            help='JSON file: a list of {"drug", "strength", "unit", "per_day"} '
            '(fentanyl patch: "unit": "mcg/hr", no per_day).',
        )
        parser.add_argument(
            "--table",
            default=DEFAULT_TABLE,
            help=f"factor table id (default {DEFAULT_TABLE}; available: "
            f"{', '.join(available_tables())})",
        )

        parser.add_argument(
            "--messages",
            action="store_true",
            help="write the factor tables' notes where makemessages finds them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["messages"]:
            MESSAGES_MODULE.write_text(messages_module_source(), encoding="utf-8")
            self.stdout.write(f"Wrote {MESSAGES_MODULE.name}.")
            return
        if not options["input"]:
            raise CommandError("--input FILE is required")
        try:
            table = load_table(options["table"])
        except UnknownFactorTableError as error:
            raise CommandError(str(error)) from error
        items = self._read(Path(options["input"]))
        try:
            result = total_mme(items, table=table)
        except MMEInputError as error:
            raise CommandError(
                f"item {error.index}, field {error.field!r}: {error.problem} (drug {error.drug!r})"
            ) from error
        output = {
            "table": {
                "id": table.id,
                "version": table.version,
                "published": table.published,
                "source": table.source,
            },
            "medications": [
                {
                    "drug": line.drug,
                    "strength": _number(line.strength),
                    "unit": line.unit,
                    "per_day": _number(line.per_day),
                    "factor": _number(line.factor),
                    "mme": _number(line.mme),
                    "note": line.note,
                }
                for line in result.medications
            ],
            "total_mme": _number(result.total_mme),
            "notes": list(result.notes),
        }
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _read(self, path: Path) -> list[dict[str, Any]]:
        try:
            text = path.read_text("utf-8")
        except OSError as error:
            raise CommandError(f"cannot read --input {path}: {error.strerror}") from error
        try:
            # Decimal keeps 2.5 mg exactly 2.5 mg all the way to the total.
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise CommandError(f"--input {path} is not valid JSON: {error}") from error
        if not isinstance(data, list):
            raise CommandError("--input must hold a JSON list of medications")
        if not data:
            raise CommandError("--input holds no medications")
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise CommandError(f"item {index}: must be an object with fields {FIELDS}")
            unknown = sorted(set(item) - set(FIELDS))
            if unknown:
                raise CommandError(f"item {index}, field {unknown[0]!r}: unknown field")
            if "drug" not in item or not isinstance(item["drug"], str) or not item["drug"]:
                raise CommandError(f"item {index}, field 'drug': missing or not a string")
        return data
