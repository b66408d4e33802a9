"""``coproduce instruments list | show ID [--version V] | import FILE | messages``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coproduce.instruments import translations
from coproduce.instruments.importer import ImportRefused
from coproduce.instruments.library import (
    UnknownInstrument,
    get_definition,
    list_definitions,
    shipped,
)
from coproduce.instruments.services import import_questionnaire


def _load_json(path: str, what: str):
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}: the {what} is not valid JSON ({exc})") from None


class Command(BaseCommand):
    help = "List, show or import instrument definitions (FHIR R4 Questionnaires)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every shipped and imported instrument version")
        show = sub.add_parser("show", help="print an instrument's Questionnaire JSON")
        show.add_argument("instrument")
        show.add_argument("--version", dest="instrument_version", default=None)
        imp = sub.add_parser("import", help="import a FHIR R4 Questionnaire (licensed sites)")
        imp.add_argument("file")
        imp.add_argument("--id", dest="instrument_id", default=None)
        imp.add_argument("--version", dest="instrument_version", default=None)
        imp.add_argument("--scoring", default=None, help="JSON sidecar, e.g. a raw-to-T table")
        sub.add_parser("messages", help="write our own questions' texts for makemessages")

    def handle(self, *args, **options):
        getattr(self, "do_" + options["action"])(options)

    def do_list(self, options):
        for d in list_definitions():
            self.stdout.write(f"{d.id:<14} {d.version:<8} {d.kind:<9} {d.audience:<10} {d.title}")

    def do_show(self, options):
        try:
            definition = get_definition(options["instrument"], options["instrument_version"])
        except UnknownInstrument as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(definition.questionnaire, indent=2, ensure_ascii=False))

    def do_messages(self, options):
        source = translations.messages_module_source([d.questionnaire for d in shipped().values()])
        translations.MESSAGES_MODULE.write_text(source, encoding="utf-8")
        self.stdout.write(f"wrote {translations.MESSAGES_MODULE.name}")

    def do_import(self, options):
        data = _load_json(options["file"], "Questionnaire")
        scoring = _load_json(options["scoring"], "scoring file") if options["scoring"] else None
        try:
            with transaction.atomic():
                row = import_questionnaire(
                    data,
                    instrument_id=options["instrument_id"],
                    version=options["instrument_version"],
                    scoring=scoring,
                )
        except ImportRefused as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        self.stdout.write(f"imported {row.instrument_id} version {row.version}: {row.title}")
        for warning in row.warnings:
            self.stderr.write(f"warning: {warning}")
