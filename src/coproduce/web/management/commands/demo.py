"""`coproduce demo`: set up the database, seed the demo network, start the worker and serve."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from coproduce.checkins.demo import patient_checkin_link
from coproduce.demo import DEMO_PASSWORD, SEEDERS, seed_all
from coproduce.platform import clock
from coproduce.platform.schema import create_fresh

LOGINS = [
    ("patient", "Maria, 52, chronic pain on opioids; has a check-in due now"),
    ("paciente", "Lucía, 47, reads Spanish, chronic pain at the US site; a check-in due now"),
    ("patient_sv", "Astrid, 58, reads Swedish, rheumatoid arthritis at Northbridge"),
    ("teen", "Leo, 15, with IBD and a login of his own"),
    ("parent", "Karin, mother of Leo (15) and Ella (9)"),
    ("nurse", "Nadia, nurse on the pain and pediatric IBD teams"),
    ("clinician", "Jonas, clinician at Northbridge and Riverside"),
    ("coordinator", "Cecilia, EMPOWER coordinator at Northbridge and Harbour (no care team)"),
    ("pi", "Priya, EMPOWER principal investigator (signs off consent versions)"),
    ("statistician", "Samuel, EMPOWER's unblinded statistician (sees the allocation list)"),
    ("researcher", "Ravi, sees de-identified data only"),
    ("qi", "Quinn, QI lead, sees aggregates only"),
    ("admin", "Ada, registry admin (audit log, Django admin)"),
]


class Command(BaseCommand):
    help = "Set up and run the demo on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=8000, help="port to serve on (default 8000)"
        )
        parser.add_argument("--no-serve", action="store_true", help="seed only, do not serve")
        parser.add_argument("--no-worker", action="store_true", help="do not start the worker")
        parser.add_argument(
            "--today",
            type=_iso_day,
            default=None,
            metavar="YYYY-MM-DD",
            help="seed and run the demo as of this day (use a fresh database for each day)",
        )

    def handle(
        self,
        *args,
        port: int,
        no_serve: bool,
        no_worker: bool,
        today: dt.date | None = None,
        **options,
    ):
        if settings.MODE != "demo":
            raise CommandError(
                "The demo runs only with COPRODUCE_MODE=demo (it uses the public password "
                f"'{DEMO_PASSWORD}'); current mode is {settings.MODE!r}."
            )
        if not 1 <= port <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if "COPRODUCE_BASE_URL" not in os.environ:
            # Links printed and e-mailed by the demo must point at the port it serves on.
            settings.COPRODUCE_BASE_URL = f"http://127.0.0.1:{port}"
        worker_env = os.environ.copy()
        if today is not None:
            # The server runs in this process; the worker reads the same day from its settings.
            clock.travel_to(today)
            worker_env["COPRODUCE_TODAY"] = today.isoformat()
        console = Console(stderr=False)
        console.print("[bold]coproduce demo[/bold]: preparing the database…")
        # A new database gets the current schema in one step (platform.schema); any other
        # database, or one whose migrations hold code the fast path does not know, migrates.
        if not create_fresh(connection):
            call_command("migrate", interactive=False, verbosity=0)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Seeding demo data", total=len(SEEDERS))
            ctx = seed_all(lambda name: progress.advance(task), today=today)
        created = (
            ", ".join(f"{n} {what}" for what, n in sorted(ctx.created.items())) or "nothing new"
        )
        console.print(f"Seeded as of {ctx.today:%A %-d %B %Y}: {created}.")
        self._print_logins(console, port)
        link = patient_checkin_link()
        if link:
            console.print(f"Maria's check-in link (no password needed): [bold]{link}[/bold]")
        if no_serve:
            return
        worker = None
        if not no_worker and "db_worker" in _commands():
            worker = subprocess.Popen(
                [sys.executable, "-m", "coproduce.cli", "worker"], env=worker_env
            )
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()

    def _print_logins(self, console: Console, port: int) -> None:
        table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
        table.add_column("username")
        table.add_column("who")
        for username, who in LOGINS:
            table.add_row(username, who)
        console.print(table)
        console.print(f"Open [bold]http://127.0.0.1:{port}/[/bold] in your browser. Ctrl+C stops.")


def _iso_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD") from None


def _commands() -> set[str]:
    from django.core.management import get_commands

    return set(get_commands())
