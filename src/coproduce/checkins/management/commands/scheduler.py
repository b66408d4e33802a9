"""`coproduce scheduler`: queue the check-in jobs every minute (the worker runs them)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from coproduce.checkins import tasks


def tick(n: int, *, inline: bool = False) -> list[str]:
    """Queue (or, inline, run) the jobs due on tick `n`; return their names."""
    due = list(tasks.EVERY_MINUTE)
    if n % 60 == 0:
        due = list(tasks.EVERY_HOUR) + due
    for job in due:
        if inline:
            job.call()
        else:
            job.enqueue()
    return [job.name for job in due]


class Command(BaseCommand):
    help = "Queue invitation, reminder and notification jobs every minute (hourly re-planning)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round (with re-planning)")
        parser.add_argument(
            "--inline", action="store_true", help="run the jobs here instead of queueing them"
        )
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")

    def handle(self, *args, once: bool, inline: bool, interval: float, **options):
        n = 0
        while True:
            names = tick(n, inline=inline)
            if options.get("verbosity", 1) > 1 or once:
                verb = "Ran" if inline else "Queued"
                self.stdout.write(f"{verb}: {', '.join(names)}")
            if once:
                return
            n += 1
            time.sleep(interval)
