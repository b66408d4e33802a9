"""Check-in responses and scores built directly (the safety net's input), plus enrolment."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from coproduce.checkins.models import CheckinResponse, Enrollment, Program, Score
from coproduce.people.models import Patient

_seq = itertools.count(1)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def enroll(patient: Patient, slug: str = "opioid-taper", started: dt.date | None = None):
    program, _ = Program.objects.get_or_create(slug=slug, defaults={"name": slug})
    return Enrollment.objects.create(
        patient=patient, program=program, started_on=started or (T0 - dt.timedelta(days=400)).date()
    )


def checkin(
    patient: Patient,
    at: dt.datetime = T0,
    *,
    scores: dict[str, float | None] | None = None,
    items: dict[str, dict[str, Any]] | None = None,
    flags: dict[str, list[str]] | None = None,
    free_text: str = "",
) -> tuple[CheckinResponse, list[Score]]:
    """Store a response with one Score per instrument named in scores, items or flags."""
    scores, items, flags = scores or {}, items or {}, flags or {}
    instruments = sorted(set(scores) | set(items) | set(flags))
    response = CheckinResponse.objects.create(
        patient=patient,
        answers={i: items.get(i, {}) for i in instruments},
        versions={i: "1.0" for i in instruments},
        free_text=free_text,
        idempotency_key=f"test-{next(_seq)}",
        submitted_at=at,
    )
    rows = [
        Score.objects.create(
            response=response,
            patient=patient,
            instrument_id=i,
            version="1.0",
            score=scores.get(i),
            flags=flags.get(i, []),
            item_values=items.get(i, {}),
            at=at,
        )
        for i in instruments
    ]
    return response, rows


def weeks(n: float) -> dt.timedelta:
    return dt.timedelta(weeks=n)
