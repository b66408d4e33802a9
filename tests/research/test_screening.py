"""Eligibility from the registry, the screening log, and the CONSORT numbers it gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coproduce.careplans.models import Medication
from coproduce.checkins.scheduling import enroll
from coproduce.platform import clock
from coproduce.research import consort, screening
from coproduce.research.followup import randomise_and_start, withdraw
from coproduce.research.participants import DeclineReason, Status
from tests import factories
from tests.research.helpers import consented, screened


def _pain_patient(world, trial, *, born=dt.date(1970, 1, 1), enrolled=True, **fields):
    patient = factories.make_patient(world.team_a, born=born, **fields)
    if enrolled:
        enroll(patient, trial.care, actor=None)
    return patient


def test_candidates_meet_age_condition_program_and_mme(world, trial):
    study = trial.study
    study.max_age = 80
    study.min_baseline_mme = Decimal("20")
    study.save()
    today = clock.today()
    ok = _pain_patient(world, trial)
    Medication.objects.create(
        patient=ok,
        drug="morphine",
        strength=Decimal("15"),
        unit="mg",
        per_day=Decimal("2"),
        started_on=today - dt.timedelta(days=90),
        is_opioid=True,
    )
    low = _pain_patient(world, trial)
    Medication.objects.create(
        patient=low,
        drug="morphine",
        strength=Decimal("5"),
        unit="mg",
        per_day=Decimal("2"),
        started_on=today - dt.timedelta(days=90),
        is_opioid=True,
    )
    _pain_patient(world, trial, enrolled=False)  # not in the care program
    old = _pain_patient(world, trial, born=today.replace(year=today.year - 81, day=1))
    Medication.objects.create(
        patient=old,
        drug="morphine",
        strength=Decimal("15"),
        unit="mg",
        per_day=Decimal("2"),
        started_on=today - dt.timedelta(days=90),
        is_opioid=True,
    )
    found = list(screening.candidates(study, world.team_a.site, on=today))
    assert found == [ok]
    assert found[0].mme == pytest.approx(30.0)
    p = screening.screen(study, ok, by=world.cora)
    assert p.baseline_mme == Decimal("30.00")
    assert list(screening.candidates(study, world.team_a.site, on=today)) == []
    with pytest.raises(ValidationError):
        screening.screen(study, low, by=world.cora)


def test_minimum_age_on_a_birthday(world, trial):
    today = dt.date(2026, 3, 1)
    exactly = _pain_patient(world, trial, born=dt.date(2008, 3, 1))
    day_short = _pain_patient(world, trial, born=dt.date(2008, 3, 2))
    found = set(screening.registry_eligible(trial.study, world.team_a.site, on=today))
    assert exactly in found and day_short not in found


def test_decline_needs_a_reason_and_is_counted(world, trial):
    p = screened(trial, world.alice, world.cora)
    with pytest.raises(ValidationError):
        screening.decline(p, reason="bored", by=world.cora)
    with pytest.raises(ValidationError):
        screening.decline(p, reason=DeclineReason.OTHER, note=" ", by=world.cora)
    p.refresh_from_db()
    assert p.status == Status.SCREENED
    screening.decline(p, reason=DeclineReason.NO_TIME, by=world.cora)
    flow = consort.flow(trial.study)
    assert (flow.assessed, flow.declined, flow.randomised) == (1, 1, 0)
    assert flow.declined_by_reason == {"No time for study visits or surveys": 1}


def test_a_failed_confirmed_criterion_makes_the_patient_ineligible(world, trial):
    p = screened(trial, world.alice, world.cora)
    criteria = list(trial.study.confirmed_criteria.all())
    with pytest.raises(ValidationError, match="missing"):
        screening.confirm_eligibility(p, {str(criteria[0].pk): True}, by=world.cora)
    answers = {str(criteria[0].pk): True, str(criteria[1].pk): True}  # has the exclusion
    assert not screening.confirm_eligibility(p, answers, by=world.cora)
    p.refresh_from_db()
    assert p.status == Status.INELIGIBLE and p.eligibility_confirmed_at is None


def test_consort_counts_each_box(world, trial):
    people = [consented(trial, world.alice, world.cora)]
    people += [consented(trial, _pain_patient(world, trial), world.cora) for _ in range(3)]
    for p in people:
        randomise_and_start(p, by=world.cora)
    withdraw(people[0], scope="intervention", by=world.cora)
    withdraw(people[1], scope="data", by=world.cora)
    flow = consort.flow(trial.study)
    assert flow.assessed == 4 and flow.randomised == 4 and flow.pending == 0
    assert sum(a.allocated for a in flow.arms) == 4
    assert sum(a.discontinued for a in flow.arms) == 2
    assert sum(a.stopped_follow_up for a in flow.arms) == 1
    assert sum(a.analysed for a in flow.arms) == 3
    svg = consort.consort_svg(trial.study, flow)
    assert svg.startswith("<svg") and "Assessed for eligibility" in svg
