"""`coproduce registry-synth`: generate a synthetic registry fast, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from coproduce.registry.synth import generate


class Command(BaseCommand):
    help = (
        "Generate a synthetic registry (sites, patients, weekly check-ins with PHQ-9 and PEG, "
        "alerts) with bulk inserts; PostgreSQL uses COPY. Invented data only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sites", type=int, default=100)
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--weeks", type=int, default=104)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["sites"], options["patients"], options["weeks"]) < 1:
            raise CommandError("--sites, --patients and --weeks must be at least 1")
        began = time.monotonic()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not self.stdout.isatty(),
        ) as bar:
            task = bar.add_task("Patients", total=options["patients"])
            try:
                result = generate(
                    sites=options["sites"],
                    patients=options["patients"],
                    weeks=options["weeks"],
                    seed=options["seed"],
                    progress=lambda n: bar.advance(task, n),
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.sites} sites, {result.patients} patients, {result.invitations} "
            f"invitations, {result.responses} responses, {result.scores} scores, "
            f"{result.alerts} alerts in {time.monotonic() - began:.1f} s"
        )
