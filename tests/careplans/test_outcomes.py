"""EMPOWER tapering success at 12 months (coproduce.careplans.outcomes)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from coproduce.careplans.outcomes import (
    Branch,
    Observation,
    cohort_success_rate,
    nearest_to_twelve_months,
    tapering_success,
)

D = Decimal
BASE_DAY = date(2024, 1, 15)
DAY_365 = BASE_DAY + timedelta(days=365)


def outcome(base_mme, base_pain, mme12, pain12):
    return tapering_success(
        Observation(BASE_DAY, base_mme, base_pain), [Observation(DAY_365, mme12, pain12)]
    )


def test_it_counts_exactly_a_50_percent_reduction_as_halved():
    result = outcome(100, 6, 50, 7)
    assert result.success is True
    assert result.branch is Branch.MME_HALVED_PAIN_STABLE


def test_it_does_not_count_a_49_9_percent_reduction():
    assert outcome(100, 6, "50.1", 6).success is False


def test_it_allows_pain_up_by_one_point_when_mme_is_halved():
    assert outcome(120, 5, 60, 6).success is True


def test_it_rejects_pain_up_by_two_points_when_mme_is_halved():
    assert outcome(120, 5, 60, 7).success is False


def test_it_rejects_pain_up_by_a_little_more_than_one_point():
    assert outcome(120, 5, 60, "6.1").success is False


def test_it_counts_unchanged_mme_with_pain_down_two_points():
    result = outcome(80, 7, 80, 5)
    assert result.success is True
    assert result.branch is Branch.PAIN_IMPROVED_NO_MME_INCREASE


def test_it_does_not_count_unchanged_mme_with_pain_down_1_9_points():
    assert outcome(80, 7, 80, "5.1").success is False


def test_it_does_not_count_an_mme_increase_even_with_pain_down_three_points():
    result = outcome(80, 7, 81, 4)
    assert result.success is False
    assert result.branch is None


def test_it_reports_both_branches_when_both_are_met():
    assert outcome(100, 7, 40, 4).branch is Branch.BOTH


def test_it_returns_the_data_it_used():
    result = outcome(100, 6, 50, 7)
    assert (result.baseline_on, result.baseline_mme, result.baseline_pain) == (BASE_DAY, 100, 6)
    assert (result.month12_mme, result.month12_mme_on) == (50, DAY_365)
    assert (result.month12_pain, result.month12_pain_on) == (7, DAY_365)


def test_it_returns_none_with_a_reason_when_the_12_month_value_is_missing():
    result = tapering_success(Observation(BASE_DAY, 100, 6), [Observation(DAY_365, None, 5)])
    assert result.success is None
    assert result.reason == "missing 12-month MME (day 335-395)"


def test_it_returns_none_when_baseline_pain_is_missing():
    result = outcome(100, None, 50, 5)
    assert result.success is None
    assert "baseline pain" in result.reason


def test_it_returns_none_for_a_zero_baseline_mme():
    assert outcome(0, 6, 0, 3).success is None


@pytest.mark.parametrize(("offset", "found"), [(-31, False), (-30, True), (30, True), (31, False)])
def test_it_takes_the_12_month_value_within_30_days_of_day_365(offset, found):
    obs = Observation(DAY_365 + timedelta(days=offset), 50, 5)
    picked = nearest_to_twelve_months(BASE_DAY, [obs], lambda o: o.mme)
    assert (picked is obs) is found


def test_it_takes_the_observation_nearest_day_365():
    near = Observation(DAY_365 + timedelta(days=3), 40, 5)
    far = Observation(DAY_365 - timedelta(days=10), 90, 5)
    assert nearest_to_twelve_months(BASE_DAY, [far, near], lambda o: o.mme) is near


def test_it_breaks_a_tie_in_favour_of_the_earlier_observation():
    early = Observation(DAY_365 - timedelta(days=5), 40, 5)
    late = Observation(DAY_365 + timedelta(days=5), 90, 5)
    assert nearest_to_twelve_months(BASE_DAY, [late, early], lambda o: o.mme) is early


def test_it_picks_mme_and_pain_separately():
    result = tapering_success(
        Observation(BASE_DAY, 100, 6),
        [
            Observation(DAY_365 - timedelta(days=2), mme=50),
            Observation(DAY_365 + timedelta(days=9), pain=6),
        ],
    )
    assert result.success is True
    assert result.month12_pain_on == DAY_365 + timedelta(days=9)


def test_the_cohort_rate_excludes_missing_results_and_reports_n():
    results = [outcome(100, 6, 50, 6), outcome(100, 6, 90, 6), outcome(100, None, 50, 6)]
    rate = cohort_success_rate(results)
    assert (rate.n, rate.successes, rate.missing) == (2, 1, 1)
    assert rate.rate == D("0.5")


def test_the_cohort_rate_is_none_without_any_known_result():
    rate = cohort_success_rate([outcome(100, None, 50, 6)])
    assert rate.rate is None
    assert rate.n == 0
