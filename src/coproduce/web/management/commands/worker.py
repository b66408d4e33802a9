"""`coproduce worker`: run the durable database-backed job queue."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background jobs (invitations, reminders, escalations, notifications)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(self, *args, batch: bool, **options):
        call_command("db_worker", batch=batch, verbosity=options.get("verbosity", 1))
