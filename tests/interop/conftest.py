"""API fixtures: stored check-ins for Alice and Tom, and JSON helpers."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from coproduce.checkins.services import submit_checkin


def answers(item9: int = 0, peg: int = 5) -> dict:
    """A PHQ-9 + PEG check-in (PHQ-9 answers given by weight, PEG 0-10)."""
    phq = {f"phq9-{n}": 2 for n in range(1, 9)}
    phq["phq9-9"] = item9
    phq["phq9-10"] = "LA6573-5"
    return {"peg": {"peg-1": peg, "peg-2": peg, "peg-3": peg}, "phq9": phq}


def submit(patient, key: str, given: dict | None = None):
    with transaction.atomic():
        return submit_checkin(
            patient=patient, answers=given or answers(), idempotency_key=key, source="web"
        ).response


@pytest.fixture
def answered(world):
    """Alice and Tom each have one stored PHQ-9 + PEG check-in."""
    return submit(world.alice, "alice-1"), submit(world.tom, "tom-1", answers(peg=3))


def post(client, url: str, body, key: str | None = "k1", **extra):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        url, json.dumps(body), content_type="application/json", headers=headers, **extra
    )
