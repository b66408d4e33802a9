"""`coproduce apiclient create|list|revoke|rotate`: systems that call the FHIR API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coproduce.interop.clients import (
    ClientError,
    create_client,
    revoke_client,
    rotate_client,
)
from coproduce.interop.models import ApiClient


def _jwks(path: str | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
    except ValueError as exc:
        raise CommandError(f"{path} is not JSON: {exc}.") from exc


class Command(BaseCommand):
    help = "Register, list, revoke or rotate the systems (SMART backend clients) of the FHIR API."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="register a client; prints one JSON line")
        create.add_argument("name")
        create.add_argument("--user", required=True, help="the staff user it acts as")
        create.add_argument(
            "--scope", required=True, help='e.g. "system/Patient.read system/Observation.read"'
        )
        create.add_argument("--jwks", help="public key set file (private_key_jwt; no secret)")
        sub.add_parser("list", help="one JSON line per client (no secrets)")
        revoke = sub.add_parser("revoke", help="withdraw a client's access")
        revoke.add_argument("name")
        rotate = sub.add_parser("rotate", help="new secret (or --jwks key set); prints one line")
        rotate.add_argument("name")
        rotate.add_argument("--jwks", help="the new public key set file")

    def handle(self, *args, action: str, **options):
        try:
            with transaction.atomic():
                if action == "create":
                    made = create_client(
                        options["name"], options["user"], options["scope"], _jwks(options["jwks"])
                    )
                    self._line(made.as_json())
                elif action == "rotate":
                    self._line(rotate_client(options["name"], _jwks(options["jwks"])).as_json())
                elif action == "revoke":
                    client = revoke_client(options["name"])
                    revoked = client.revoked_at.isoformat() if client.revoked_at else None
                    self._line({"name": client.name, "revoked_at": revoked})
                else:
                    for client in ApiClient.objects.select_related("user").order_by("name"):
                        self._line(
                            {
                                "name": client.name,
                                "client_id": client.client_id,
                                "user": client.user.username,
                                "scope": client.scope,
                                "auth": client.auth_method,
                                "revoked": client.revoked_at is not None,
                            }
                        )
        except ClientError as exc:
            raise CommandError(str(exc)) from exc

    def _line(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, sort_keys=False))
