"""`coproduce serve`: a simple threaded server for one-machine installs and trials.

Production deployments run the WSGI application `coproduce.wsgi:application` under a
WSGI server such as gunicorn behind a TLS proxy (see docs/deployment.md).
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve coproduce on ADDRESS:PORT (default 127.0.0.1:8000) without auto-reload."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        call_command("runserver", addrport, use_reloader=False)
