"""`coproduce rules check` validates the rule files; `coproduce rules load` syncs them."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coproduce.safetynet.rules import RULES_DIR, RuleFileError, read_all, sync_rules


class Command(BaseCommand):
    help = "Check or load the safety-net rule files."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "load"])
        parser.add_argument("--dir", type=Path, default=RULES_DIR, help="rule files folder")

    def handle(self, *args, action: str, dir: Path, **options):
        try:
            if action == "check":
                rules = read_all(dir)
                self.stdout.write(f"{len(rules)} rules OK.")
                return
            with transaction.atomic():
                result = sync_rules(dir)
        except RuleFileError as exc:
            raise CommandError(str(exc)) from None
        for label, items in (
            ("new or changed", result.created),
            ("unchanged", result.unchanged),
            ("deactivated", result.deactivated),
        ):
            self.stdout.write(f"{len(items)} {label}" + (f": {', '.join(items)}" if items else ""))
