"""Builders for care plan tests: medications, plans and Score rows."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from coproduce.careplans import services
from coproduce.careplans.taper import PACE_OPTIONS, Regimen
from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import Role
from tests import factories

_keys = itertools.count(1)
TEN_EVERY_4_WEEKS = PACE_OPTIONS[3]


def clinician_for(team):
    return factories.make_user(Role.CLINICIAN, teams=[team])


def oxycodone_plan(patient, by, *, start_on=dt.date(2025, 1, 6), tablet=20, pace=TEN_EVERY_4_WEEKS):
    services.record_medication(
        patient, drug="oxycodone", strength=tablet, per_day=3, started_on=start_on, by=by
    )
    regimen = Regimen("oxycodone", Decimal(tablet * 3), Decimal(5), doses_per_day=3)
    return services.create_taper_plan(patient, regimen=regimen, pace=pace, start_on=start_on, by=by)


def score(patient, instrument_id, value=None, *, on: dt.date, items=None):
    """One stored check-in with one score, at noon UTC on ``on``."""
    at = dt.datetime.combine(on, dt.time(12), tzinfo=dt.UTC)
    response = CheckinResponse.objects.create(
        patient=patient,
        answers={},
        versions={instrument_id: "1.0"},
        idempotency_key=f"test-{next(_keys)}",
        submitted_at=at,
    )
    return Score.objects.create(
        response=response,
        patient=patient,
        instrument_id=instrument_id,
        version="1.0",
        score=value,
        item_values=items or {},
        at=at,
    )
