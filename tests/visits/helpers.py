"""Builders for check-in history: weekly responses with their scores, in bulk."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.platform import clock

_seq = itertools.count(1)
BANDS = {"phq9": [(5, "minimal"), (10, "mild"), (15, "moderate"), (20, "moderately_severe")]}


def _band(instrument_id: str, value: float) -> str:
    for upper, code in BANDS.get(instrument_id, []):
        if value < upper:
            return code
    return "severe" if instrument_id in BANDS else ""


def weekly_scores(
    patient, values: dict[str, list[float]], *, end: dt.datetime | None = None
) -> list[CheckinResponse]:
    """One response a week ending at `end` (newest last), scoring each instrument given."""
    end = end or clock.now() - dt.timedelta(hours=1)
    weeks = max(len(v) for v in values.values())
    responses = [
        CheckinResponse(
            patient=patient,
            answers={iid: _answers(iid, v[i]) for iid, v in values.items() if i < len(v)},
            versions={iid: "1.0" for iid in values},
            idempotency_key=f"t-{uuid.uuid4().hex}",
            submitted_at=end - dt.timedelta(weeks=weeks - 1 - i),
        )
        for i in range(weeks)
    ]
    CheckinResponse.objects.bulk_create(responses, batch_size=500)
    responses = list(
        CheckinResponse.objects.filter(
            idempotency_key__in=[r.idempotency_key for r in responses]
        ).order_by("submitted_at")
    )
    scores = []
    for i, response in enumerate(responses):
        for iid, series in values.items():
            if i < len(series):
                scores.append(
                    Score(
                        response=response,
                        patient=patient,
                        instrument_id=iid,
                        version="1.0",
                        score=series[i],
                        band=_band(iid, series[i]),
                        item_values=_answers(iid, series[i]),
                        at=response.submitted_at,
                    )
                )
    Score.objects.bulk_create(scores, batch_size=500)
    return responses


def _answers(instrument_id: str, total: float) -> dict:
    """Item answers that add up to `total` (PHQ-9, GAD-7) or average to it (PEG)."""
    if instrument_id == "peg":
        return {f"peg-{n}": round(total) for n in (1, 2, 3)}
    count = {"phq9": 9, "gad7": 7}.get(instrument_id, 0)
    left, out = int(total), {}
    for n in range(1, count + 1):
        out[f"{instrument_id}-{n}"] = min(3, left)
        left -= out[f"{instrument_id}-{n}"]
    return out


def previsit(patient, answers: dict, *, at: dt.datetime | None = None) -> CheckinResponse:
    return CheckinResponse.objects.create(
        patient=patient,
        answers={"previsit": answers},
        versions={"previsit": "1.0"},
        idempotency_key=f"pv-{next(_seq)}-{uuid.uuid4().hex}",
        submitted_at=at or clock.now() - dt.timedelta(days=1),
    )
