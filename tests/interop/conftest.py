"""API fixtures: stored check-ins for Alice and Tom, and JSON helpers."""

from __future__ import annotations

import datetime as dt
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


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def submitted_on(response, day: str):
    """Move a stored check-in (and its scores) to noon UTC on `day`."""
    response.__class__.objects.filter(pk=response.pk).update(submitted_at=at(day))
    response.scores.update(at=at(day))
    response.refresh_from_db()
    return response


@pytest.fixture
def record(world):
    """Alice's record: three PHQ-9 + PEG check-ins, one GAD-7, goals, an action, a taper,
    medicines and an appointment."""
    from coproduce.careplans.goals import add_action, add_goal
    from coproduce.careplans.services import record_medication
    from tests.careplans.helpers import clinician_for, oxycodone_plan

    for n, day in enumerate(("2026-01-05", "2026-01-19", "2026-02-02")):
        submitted_on(submit(world.alice, f"rec-{n}", answers(peg=4 + n)), day)
    gad = {f"gad7-{n}": "LA6570-1" for n in range(1, 8)}
    submitted_on(submit(world.alice, "rec-gad", {"gad7": gad}), "2026-02-03")
    doctor = clinician_for(world.team_a)
    plan = oxycodone_plan(world.alice, doctor, start_on=dt.date(2026, 1, 5))
    record_medication(
        world.alice,
        drug="buprenorphine",
        strength=10,
        unit="mcg/hr",
        started_on=dt.date(2026, 1, 5),
        by=doctor,
    )
    goals = [
        add_goal(world.alice, by=world.alice.user, kind="patient", text="Walk the dog every day"),
        add_goal(
            world.alice,
            by=doctor,
            kind="clinical",
            text="Less pain interference",
            instrument_id="peg",
            comparator="<=",
            target_value=4,
        ),
    ]
    action = add_action(
        world.alice, by=doctor, who="patient", what="Walk ten minutes after lunch",
        due_on=dt.date(2026, 2, 1),
    )  # fmt: skip
    from coproduce.visits.models import Appointment

    appointment = Appointment.objects.create(
        patient=world.alice,
        care_team=world.alice.care_team,
        starts_at=dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.UTC),
        external_id="rec-visit",
    )
    return {
        "plan": plan,
        "goals": goals,
        "doctor": doctor,
        "action": action,
        "appointment": appointment,
    }


# Fixtures of other apps: the database refusing new responses (the not-stored answer's schema
# check) and the research app's small trial (the study exports, redcap records --study).
from tests.checkins.conftest import broken_database  # noqa: E402, F401
from tests.research.conftest import trial  # noqa: E402, F401
