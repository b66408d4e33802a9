"""`coproduce openapi [--check]`: write the committed OpenAPI schema, or check it is current."""

from __future__ import annotations

import difflib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coproduce.interop.openapi import render_schema

DEFAULT_PATH = "docs/openapi.json"


class Command(BaseCommand):
    help = "Write the API's OpenAPI schema to docs/openapi.json, or --check that it is current."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; exit non-zero if the file differs from the code",
        )
        parser.add_argument("--path", default=DEFAULT_PATH, help=f"default: {DEFAULT_PATH}")

    def handle(self, *args, check: bool, path: str, **options):
        target = Path(path)
        text = render_schema()
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {target}.")
            return
        committed = target.read_text(encoding="utf-8") if target.exists() else ""
        if committed != text:
            diff = list(
                difflib.unified_diff(
                    committed.splitlines(),
                    text.splitlines(),
                    str(target),
                    "from the code",
                    n=1,
                    lineterm="",
                )
            )
            shown = "\n".join(diff[:40]) + ("\n..." if len(diff) > 40 else "")
            raise CommandError(
                f"{target} does not match the API: run `coproduce openapi` and commit the "
                f"result.\n{shown}"
            )
        self.stdout.write(f"{target} is current.")
