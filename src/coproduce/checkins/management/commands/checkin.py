"""`coproduce checkin`: submit a check-in from a JSON file (imports, support, testing)."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from coproduce.checkins.models import Invitation
from coproduce.checkins.services import (
    CheckinClosed,
    CheckinInvalid,
    NotStored,
    cli_idempotency_key,
    store_checkin,
)
from coproduce.people.models import Patient


class Command(BaseCommand):
    help = (
        'Submit a check-in: JSON {"answers": {instrument: {linkId: value}}, "free_text": ""}'
        " from FILE or stdin, for --invitation ID or --patient REGISTRY_ID."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default="-", help="JSON file (default: stdin)")
        parser.add_argument("--invitation", type=int)
        parser.add_argument("--patient", help="registry ID (on-demand check-in)")
        parser.add_argument("--key", required=True, help="idempotency key (repeat-safe)")

    def handle(
        self, *args, file: str, invitation: int | None, patient: str | None, key: str, **options
    ):
        raw = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()  # noqa: SIM115
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: not valid JSON ({exc}).") from None
        if (invitation is None) == (patient is None):
            raise CommandError("Give exactly one of --invitation or --patient.")
        inv = pat = None
        try:
            if invitation is not None:
                inv = Invitation.objects.get(pk=invitation)
            else:
                pat = Patient.objects.get(registry_id=patient)
        except (Invitation.DoesNotExist, Patient.DoesNotExist):
            raise CommandError("No such invitation or patient.") from None
        try:
            result = store_checkin(
                invitation=inv,
                patient=pat,
                answers=data.get("answers") or {},
                free_text=data.get("free_text", ""),
                idempotency_key=cli_idempotency_key(key),
                submitted_by=None,
                source="cli",
            )
        except (CheckinInvalid, CheckinClosed) as exc:
            raise CommandError(str(exc)) from None
        if isinstance(result, NotStored):
            if result.crisis:
                self.stderr.write(result.crisis_resources)
            raise CommandError(result.detail)
        verb = "Stored" if result.created else "Already stored"
        scores = ", ".join(f"{s.instrument_id}={s.score}" for s in result.scores)
        self.stdout.write(f"{verb} response {result.response.pk} ({scores}).")
        if result.crisis:
            self.stdout.write("CRISIS: PHQ-9 item 9 above 0; an urgent alert was raised.")
