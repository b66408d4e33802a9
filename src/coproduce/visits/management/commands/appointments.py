"""`coproduce appointments import FILE.csv --map MAP.toml [--site SITE] [--dry-run]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from coproduce.people.models import Site
from coproduce.visits.imports import MapInvalid, import_csv, read_map


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import appointments from the clinic's scheduling system (CSV with a TOML column map). "
        "Good rows are imported, refused rows are listed by line; exit 1 if any was refused."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a CSV file")
        imp.add_argument("file", help="CSV file, UTF-8, with a header line")
        imp.add_argument("--map", required=True, dest="map_file", help="TOML column map")
        imp.add_argument("--site", help="site slug (needed when there is more than one site)")
        imp.add_argument("--dry-run", action="store_true", help="check and report, save nothing")

    def handle(
        self,
        *args,
        action: str,
        file: str,
        map_file: str,
        site: str | None,
        dry_run: bool,
        **options,
    ):
        the_site = self._site(site)
        try:
            text = open(file, encoding="utf-8-sig").read()  # noqa: SIM115
            mapping = read_map(open(map_file, encoding="utf-8").read())  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"{exc.filename}: {exc.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text.") from None
        except MapInvalid as exc:
            raise CommandError(f"{map_file}: {exc}.") from None
        try:
            with transaction.atomic():
                report = import_csv(text, mapping, site=the_site)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        except MapInvalid as exc:
            raise CommandError(f"{file}: {exc}.") from None
        for line, reason in report.refused:
            self.stderr.write(
                _("%(file)s, line %(line)s: refused: %(reason)s")
                % {"file": file, "line": line, "reason": reason}
            )
        c = report.counts
        summary = _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(refused)s refused"
        ) % {**c, "refused": len(report.refused)}
        if dry_run:
            summary += _(" (dry run: nothing saved)")
        self.stdout.write(f"{summary}.")
        if report.refused:
            raise SystemExit(1)

    def _site(self, slug: str | None) -> Site:
        if slug:
            found = Site.objects.filter(slug=slug).first()
            if found is None:
                known = ", ".join(Site.objects.values_list("slug", flat=True))
                raise CommandError(f"No site {slug!r} (sites: {known}).")
            return found
        sites = list(Site.objects.all()[:2])
        if len(sites) != 1:
            raise CommandError("Give --site SITE: there is more than one site (or none).")
        return sites[0]
