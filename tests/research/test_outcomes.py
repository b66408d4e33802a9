"""Study outcomes: hand-worked tapering success per participant, per arm, missing counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from coproduce.careplans.services import record_medication, stop_medication
from coproduce.platform import clock
from coproduce.platform.stats import wilson_interval
from coproduce.research import followup, outcomes
from tests import factories
from tests.careplans.helpers import score
from tests.research.helpers import consented

RANDOMISED = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
START = RANDOMISED.date()


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe (1998), Stat Med 17:857-872, Table I, method 3 (Wilson score, no correction).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_it_reproduces_newcombes_wilson_intervals(k, n, low, high):
    result = wilson_interval(k, n)
    assert (round(result.low, 4), round(result.high, 4)) == (low, high)
    assert result.estimate == k / n


def test_it_has_no_interval_without_known_results():
    assert wilson_interval(0, 0).estimate is None


def _pain(patient, day: dt.date, value: float) -> None:
    score(patient, "pain-nrs", value, on=day)


def _participant(trial, world, *, month12_mme: int | None, base_pain, pain12, name):
    """Morphine 50 mg twice a day (100 MME) at randomisation; a new dose from day 200."""
    patient = factories.make_patient(world.team_a, given_name=name)
    with clock.frozen(RANDOMISED - dt.timedelta(days=3)):
        p = consented(trial, patient, world.cora)
    dose = record_medication(
        patient,
        drug="morphine",
        strength=50,
        per_day=2,
        started_on=START - dt.timedelta(days=60),
        by=world.nina,
    )
    if month12_mme is not None and month12_mme != 100:
        later = START + dt.timedelta(days=200)
        stop_medication(dose, on=later, by=world.nina)
        record_medication(
            patient,
            drug="morphine",
            strength=Decimal(month12_mme) / 2,
            per_day=2,
            started_on=later,
            by=world.nina,
        )
    followup.randomise_and_start(p, by=world.cora, now=RANDOMISED)
    p.refresh_from_db()
    if base_pain is not None:
        _pain(patient, START - dt.timedelta(days=1), base_pain)
    if pain12 is not None:
        _pain(patient, START + dt.timedelta(days=365), pain12)
    return p


@pytest.fixture
def cohort(trial, world):
    return {
        # 100 -> 50 MME (halved), pain 6 -> 7 (+1): branch A.
        "a": _participant(trial, world, month12_mme=50, base_pain=6, pain12=7, name="Ann"),
        # 100 -> 100 (no increase), pain 8 -> 5 (-3): branch B.
        "b": _participant(trial, world, month12_mme=100, base_pain=8, pain12=5, name="Bo"),
        # 100 -> 60 (not halved), pain 6 -> 6: neither.
        "c": _participant(trial, world, month12_mme=60, base_pain=6, pain12=6, name="Cy"),
        # 100 -> 50, but no pain in days 335-395: missing, not imputed.
        "d": _participant(trial, world, month12_mme=50, base_pain=6, pain12=None, name="Di"),
        # As a, but stopped follow-up on day 100: the day-365 pain is after it, so missing.
        "e": _participant(trial, world, month12_mme=50, base_pain=6, pain12=2, name="Ed"),
    }


def test_it_matches_the_hand_worked_cases(cohort, world):
    followup.withdraw(
        cohort["e"], scope="follow_up", by=world.cora, now=RANDOMISED + dt.timedelta(days=100)
    )
    today = START + dt.timedelta(days=500)
    got = {k: outcomes.participant_outcome(p, today=today) for k, p in cohort.items()}
    assert {k: o.state for k, o in got.items()} == {
        "a": "success",
        "b": "success",
        "c": "failure",
        "d": "missing",
        "e": "missing",
    }
    assert got["a"].result.branch == "mme_halved_pain_stable"
    assert got["b"].result.branch == "pain_improved_no_mme_increase"
    assert got["d"].result.month12_mme == Decimal(50)
    assert got["d"].result.month12_pain is None


def test_it_says_not_yet_due_while_the_window_is_open(cohort):
    today = START + dt.timedelta(days=300)
    assert outcomes.participant_outcome(cohort["d"], today=today).state == "not_due"
    # Data of days still to come are not used, even a dose "in force" then.
    assert outcomes.participant_outcome(cohort["a"], today=today).result.month12_mme is None


def test_the_arm_table_counts_missing_and_hides_small_cells(cohort, trial):
    with clock.frozen(RANDOMISED + dt.timedelta(days=500)):
        results = outcomes.participant_outcomes(outcomes.analysed(trial.study))
        full = outcomes.arm_table(results, trial.study, small_cells=True)
        hidden = outcomes.arm_table(results, trial.study, small_cells=False)
    assert sum(r.randomised for r in full) == 5
    assert sum(r.success for r in full) == 3  # a, b, and e (still following up here)
    assert sum(r.failure for r in full) == 1
    assert sum(r.missing for r in full) == 1
    for row in full:
        known = row.success + row.failure
        expected = wilson_interval(row.success, known) if known else None
        assert row.proportion == expected
    for row in hidden:
        for n in (row.randomised, row.success, row.failure, row.missing, row.not_due):
            assert n is None or n == 0 or n >= 5
        assert row.proportion is None
        parts = (row.success, row.failure, row.missing, row.not_due)
        assert row.randomised is None or None not in parts  # no hidden part by subtraction
