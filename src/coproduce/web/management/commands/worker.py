"""`coproduce worker`: run the durable database-backed job queue and the check-in scheduler.

The scheduler thread only queues jobs; the jobs themselves claim their rows, so running
several workers (each with its scheduler) never sends anything twice.
"""

from __future__ import annotations

import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections


def _schedule_forever(stop: threading.Event, interval: float) -> None:
    from coproduce.checkins.management.commands.scheduler import tick

    n = 0
    while not stop.is_set():
        try:
            tick(n)
        except Exception:  # a database blip must not stop the schedule
            import logging

            logging.getLogger(__name__).exception("Scheduler tick failed")
        finally:
            close_old_connections()
        n += 1
        stop.wait(interval)


class Command(BaseCommand):
    help = "Run background jobs (invitations, reminders, escalations, notifications)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="only run queued jobs, queue none"
        )
        parser.add_argument("--interval", type=float, default=60.0, help="scheduler seconds")

    def handle(self, *args, batch: bool, no_scheduler: bool, interval: float, **options):
        verbosity = options.get("verbosity", 1)
        if batch:
            if not no_scheduler:
                from coproduce.checkins.management.commands.scheduler import tick

                tick(0)
            call_command("db_worker", batch=True, verbosity=verbosity)
            return
        stop = threading.Event()
        if not no_scheduler:
            threading.Thread(
                target=_schedule_forever, args=(stop, interval), daemon=True, name="scheduler"
            ).start()
        try:
            call_command("db_worker", verbosity=verbosity)
        finally:
            stop.set()
            time.sleep(0)
