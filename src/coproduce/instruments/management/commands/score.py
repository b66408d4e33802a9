"""``coproduce score ID --input FILE``: batch-score responses to a patient instrument."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coproduce.instruments.cli_io import read_rows, score_rows, write_results
from coproduce.instruments.library import UnknownInstrument, get_definition


class Command(BaseCommand):
    help = (
        "Score responses. FILE is a JSON list of objects mapping linkId to answer, or a CSV "
        "with one column per linkId. Prints one JSON object per response (or CSV)."
    )
    audience: str | None = None

    def add_base_argument(self, parser, *args, **kwargs):
        # Here --version names the instrument version, not Django's.
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("instrument", help="instrument id, e.g. phq9")
        parser.add_argument("--input", required=True, help="JSON or CSV file of responses")
        parser.add_argument("--version", dest="instrument_version", default=None)
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args, **options):
        try:
            definition = get_definition(options["instrument"], options["instrument_version"])
        except UnknownInstrument as exc:
            raise CommandError(str(exc)) from None
        self.check_audience(definition)
        rows = read_rows(options["input"])
        results = score_rows(definition, rows)
        write_results(self.stdout, rows, results, options["format"])

    def check_audience(self, definition):
        if definition.audience == "clinician":
            raise CommandError(
                f"{definition.id} is a clinician-entered index; use `coproduce index "
                f"{definition.id} --input FILE`"
            )
