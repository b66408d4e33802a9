"""`coproduce worker`: send the outbox, queue the periodic jobs and run the queued ones.

Run one or several (they claim their work, so nothing is sent twice). `--check` is the
liveness probe for a service manager (see docs/deployment.md).
"""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand

from coproduce.platform import worker as worker_loop


class Command(BaseCommand):
    help = "Run background work: notifications, invitations, reminders, escalations."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="only run queued jobs, queue none"
        )
        parser.add_argument("--interval", type=float, default=60.0, help="scheduler seconds")
        parser.add_argument(
            "--check",
            action="store_true",
            help="print when a worker was last seen; exit 0 fresh, 1 stale, 2 no database",
        )
        parser.add_argument(
            "--max-age", type=float, default=120.0, help="seconds a heartbeat stays fresh"
        )
        parser.add_argument(
            "--this-host", action="store_true", help="with --check: only workers on this host"
        )

    def handle(self, *args, batch, no_scheduler, interval, check, max_age, this_host, **options):
        if check:
            code, message = worker_loop.check(max_age, this_host=this_host)
            (self.stderr if code == 2 else self.stdout).write(message)
            sys.exit(code)
        worker = worker_loop.Worker(schedule=not no_scheduler, interval=interval)
        if batch:
            worker.once()
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: worker.stop.set())
        worker.run()
