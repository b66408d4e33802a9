"""``coproduce research export STUDY --format csv|parquet --out DIR [--include-free-text]``
and ``coproduce research quality STUDY`` (run the data-quality rules)."""

from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coproduce.people.models import User
from coproduce.platform import clock
from coproduce.research.export import FORMATS, ExportRefused
from coproduce.research.exports import export_for_operator
from coproduce.research.models import Study


class Command(BaseCommand):
    help = "Research operations: de-identified study exports and data-quality checks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export", help="write a study's de-identified export")
        exp.add_argument("study", help="the study's slug, e.g. empower")
        exp.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        exp.add_argument("--out", required=True, help="a new or empty directory")
        exp.add_argument(
            "--include-free-text",
            action="store_true",
            help="add free-text columns, scrubbed of names, numbers and addresses",
        )
        exp.add_argument("--by", default="", help="your coproduce username (for the audit log)")
        quality = sub.add_parser("quality", help="run the study's data-quality rules")
        quality.add_argument("study")

    def handle(self, *args, **options):
        getattr(self, "do_" + options["action"])(options)

    def _study(self, slug: str) -> Study:
        try:
            return Study.objects.get(slug=slug)
        except Study.DoesNotExist:
            raise CommandError(f"no study {slug!r}") from None

    def do_export(self, options):
        study = self._study(options["study"])
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"--by {options['by']!r}: no such active user")
        try:
            with transaction.atomic():
                written = export_for_operator(
                    study,
                    fmt=options["fmt"],
                    out=Path(options["out"]),
                    include_free_text=options["include_free_text"],
                    operator=getpass.getuser(),
                    by=by,
                )
        except ExportRefused as exc:
            raise CommandError(str(exc)) from None
        for entry in written.manifest["files"]:
            self.stdout.write(f"{entry['name']}: {entry['rows']} rows")
        self.stdout.write(f"wrote {options['out']}")

    def do_quality(self, options):
        from coproduce.research.quality import run_checks

        study = self._study(options["study"])
        with transaction.atomic():
            new = run_checks(study, now=clock.now())
        self.stdout.write(f"{len(new)} new data-quality queries for {study.slug}")
