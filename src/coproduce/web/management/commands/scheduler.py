"""`coproduce scheduler`: queue the periodic jobs (a worker runs them), or run them inline.

The same loop as `coproduce worker` (coproduce.platform.worker), with only the schedule part.
"""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from coproduce.platform.worker import Worker


class Command(BaseCommand):
    help = "Queue invitation, reminder and escalation jobs every minute (hourly re-planning)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round (with re-planning)")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="run the jobs and send the outbox here instead of queueing them",
        )
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")

    def handle(self, *args, once: bool, inline: bool, interval: float, **options):
        worker = Worker(run_jobs=False, send=inline, inline=inline, interval=interval)
        if once:
            names = worker.once()
            self.stdout.write(f"{'Ran' if inline else 'Queued'}: {', '.join(names)}")
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: worker.stop.set())
        worker.run()
