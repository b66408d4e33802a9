"""`coproduce rules check` validates the rule files; `coproduce rules load` syncs them;
`coproduce rules messages` writes their texts where makemessages finds them."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coproduce.safetynet.rules import (
    MESSAGES_MODULE,
    RULES_DIR,
    RuleFileError,
    messages_module_source,
    read_all,
    sync_rules,
)


class Command(BaseCommand):
    help = "Check or load the safety-net rule files."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "load", "messages"])
        parser.add_argument("--dir", type=Path, default=RULES_DIR, help="rule files folder")

    def handle(self, *args, action: str, dir: Path, **options):
        try:
            if action == "messages":
                MESSAGES_MODULE.write_text(messages_module_source(dir), encoding="utf-8")
                self.stdout.write(f"Wrote {MESSAGES_MODULE.name}.")
                return
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
