"""Rows for registry tests: scores, taper plans and medications, made directly."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from coproduce.careplans.models import Medication, TaperPlan
from coproduce.checkins.models import CheckinResponse, Score

UTC = dt.UTC
_keys = itertools.count(1)


def score(patient, instrument, when, value=None, band="", complete=True, items=None):
    """Store one response with one score at `when`."""
    response = CheckinResponse.objects.create(
        patient=patient,
        answers={},
        versions={},
        idempotency_key=f"reg-{next(_keys)}",
        submitted_at=when,
    )
    return Score.objects.create(
        response=response,
        patient=patient,
        instrument_id=instrument,
        version="1.0",
        score=value,
        band=band,
        complete=complete,
        item_values=items or {},
        at=when,
    )


def taper_plan(patient, by, start_on, start_mme):
    return TaperPlan.objects.create(
        patient=patient,
        created_by=by,
        start_on=start_on,
        regimen={},
        start_mme=Decimal(start_mme),
        pace_percent=Decimal(10),
        status="completed",
    )


def medication(patient, drug, strength, per_day, started_on, stopped_on=None, unit="mg"):
    return Medication.objects.create(
        patient=patient,
        drug=drug,
        strength=Decimal(str(strength)),
        unit=unit,
        per_day=None if per_day is None else Decimal(str(per_day)),
        started_on=started_on,
        stopped_on=stopped_on,
    )
