"""``coproduce redcap import FILE.csv | export ID | records (--study ID | --program ID)``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coproduce.instruments.importer import ImportRefused
from coproduce.instruments.library import UnknownInstrument, get_definition
from coproduce.interop.redcap import dictionary_rows, import_dictionary, write_dictionary


class Command(BaseCommand):
    help = "Import and export REDCap data dictionaries; export records for a REDCap project."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="one instrument per form of a data dictionary")
        imp.add_argument("file")
        imp.add_argument("--version", dest="instrument_version", default=None)
        exp = sub.add_parser("export", help="an instrument as a data dictionary, to stdout")
        exp.add_argument("instrument")
        exp.add_argument("--version", dest="instrument_version", default=None)
        rec = sub.add_parser("records", help="records in REDCap's flat import format")
        which = rec.add_mutually_exclusive_group(required=True)
        which.add_argument("--study", default=None)
        which.add_argument("--program", default=None)
        rec.add_argument("--out", required=True)
        rec.add_argument("--event", default="", help="redcap_event_name (longitudinal projects)")

    def handle(self, *args, **options):
        getattr(self, "do_" + options["action"])(options)

    def do_import(self, options):
        file = Path(options["file"])
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text (REDCap exports UTF-8)") from None
        try:
            with transaction.atomic():
                rows = import_dictionary(text, version=options["instrument_version"])
        except ImportRefused as exc:
            raise CommandError(f"{file}: {exc}") from None
        for row in rows:
            self.stdout.write(f"imported {row.instrument_id} version {row.version}: {row.title}")

    def do_export(self, options):
        try:
            definition = get_definition(options["instrument"], options["instrument_version"])
        except UnknownInstrument as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(write_dictionary(dictionary_rows(definition)), ending="")

    def do_records(self, options):
        from coproduce.interop.redcap_records import RecordsRefused, export_records

        try:
            count = export_records(
                study=options["study"],
                program=options["program"],
                out=Path(options["out"]),
                event=options["event"],
            )
        except RecordsRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"wrote {count} rows to {options['out']}")
