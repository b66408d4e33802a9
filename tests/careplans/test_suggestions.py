"""The suggestion before each taper step, from weekly check-ins (careplans.suggestions)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from coproduce.careplans import suggestions as rules
from coproduce.careplans.suggestions import (
    REASONS,
    Baseline,
    SuggestionKind,
    WeeklyCheckin,
    suggest_next_step,
)
from coproduce.careplans.taper import TEN_PERCENT_EVERY_MONTH, PlanState, PlanStatus

D = Decimal
GO, HOLD, SLOW, BACK = (
    SuggestionKind.GO_AHEAD,
    SuggestionKind.HOLD,
    SuggestionKind.SLOW,
    SuggestionKind.STEP_BACK_UP,
)
CHANGE_DAY = date(2025, 3, 3)
BASELINE = Baseline(pain=5, withdrawal_sows=4, phq9=6)
ACTIVE = PlanState(
    status=PlanStatus.ACTIVE,
    pace=TEN_PERCENT_EVERY_MONTH,
    start_mme=D(100),
    current_mme=D(90),
    previous_mme=D(100),
    last_change_on=CHANGE_DAY,
)


def week(n, **values):
    """A check-in n weeks after the last change; by default everything is steady."""
    steady = {"pain": 5, "withdrawal_sows": 4, "phq9": 6, "comfort": 7, "satisfaction": 8}
    return WeeklyCheckin(CHANGE_DAY + timedelta(weeks=n), **{**steady, **values})


def suggest(*checkins, state=ACTIVE, baseline=BASELINE):
    return suggest_next_step(list(checkins), baseline, state)


def test_it_goes_ahead_when_the_check_ins_are_steady():
    result = suggest(week(1), week(2))
    assert result.kind is GO
    assert result.codes == ("go_ahead",)
    assert not result.raises_concern


def test_it_holds_until_we_hear_from_the_patient():
    result = suggest()
    assert result.kind is HOLD
    assert result.reasons == (REASONS["no_checkins"][1],)
    assert "We need to hear from you first" in result.reasons[0]
    assert not result.raises_concern


def test_it_holds_while_the_plan_is_paused():
    result = suggest(week(1), state=PlanState(**{**ACTIVE.__dict__, "status": PlanStatus.PAUSED}))
    assert result.kind is HOLD
    assert "paused" in result.codes


def test_it_holds_when_the_patient_chose_to_stay_at_the_current_dose():
    result = suggest(week(1), state=PlanState(**{**ACTIVE.__dict__, "status": PlanStatus.STOPPED}))
    assert result.kind is HOLD
    assert "stopped" in result.codes


# Pain, against the level before the last change (baseline 5).


@pytest.mark.parametrize(
    ("pain", "kind"),
    [(5, GO), (D("6.9"), GO), (7, HOLD), (D("7.9"), HOLD), (8, SLOW), (10, SLOW)],
)
def test_it_holds_at_a_2_point_pain_rise_and_slows_at_3(pain, kind):
    assert suggest(week(1, pain=pain)).kind is kind


def test_it_says_how_much_higher_the_pain_is():
    assert "2 points higher" in suggest(week(1, pain=7)).reasons[0]


def test_it_judges_pain_on_the_latest_check_in():
    assert suggest(week(1, pain=8), week(2, pain=5)).kind is GO


def test_it_steps_back_up_after_two_weeks_of_pain_4_points_higher():
    result = suggest(week(1, pain=9), week(2, pain=9))
    assert result.kind is BACK
    assert result.step_back_to_mme == 100
    assert "previous dose of 100 MME/day" in result.reasons[-1]


def test_it_only_slows_after_two_weeks_of_pain_3_points_higher():
    assert suggest(week(1, pain=8), week(2, pain=8)).kind is SLOW


def test_it_does_not_step_back_after_a_single_week_of_severe_pain():
    assert suggest(week(1, pain=9)).kind is SLOW


def test_it_steps_back_up_when_the_patient_says_the_dose_is_intolerable():
    result = suggest(week(1, intolerable=True))
    assert result.kind is BACK
    assert "too hard to bear" in result.reasons[0]


def test_it_holds_instead_of_stepping_back_when_there_is_no_earlier_dose():
    first = PlanState(**{**ACTIVE.__dict__, "previous_mme": None})
    result = suggest(week(1, intolerable=True), state=first)
    assert result.kind is HOLD
    assert result.step_back_to_mme is None
    assert "no_previous_dose" in result.codes


# Withdrawal (SOWS 0-64; baseline 4).


@pytest.mark.parametrize(("sows", "kind"), [(15, GO), (16, HOLD)])
def test_it_holds_at_noticeable_withdrawal(sows, kind):
    result = suggest(week(1, withdrawal_sows=sows))
    assert result.kind is kind
    assert ("withdrawal" in result.flags) is (kind is HOLD)


def test_it_slows_when_withdrawal_rises_two_weeks_in_a_row_above_the_threshold():
    result = suggest(week(1, withdrawal_sows=16), week(2, withdrawal_sows=18))
    assert result.kind is SLOW
    assert "withdrawal_rising" in result.codes


def test_it_only_holds_when_withdrawal_rises_twice_from_below_the_threshold():
    result = suggest(week(1, withdrawal_sows=15), week(2, withdrawal_sows=18))
    assert result.kind is HOLD


def test_it_only_holds_when_withdrawal_stays_level_above_the_threshold():
    assert suggest(week(1, withdrawal_sows=18), week(2, withdrawal_sows=18)).kind is HOLD


@pytest.mark.parametrize(
    ("first", "second", "kind"), [(31, 31, HOLD), (31, 32, SLOW), (32, 32, BACK)]
)
def test_it_steps_back_up_after_two_weeks_of_withdrawal_at_32_or_more(first, second, kind):
    assert suggest(week(1, withdrawal_sows=first), week(2, withdrawal_sows=second)).kind is kind


# Comfort, mood, safety, satisfaction, missing data.


@pytest.mark.parametrize(("comfort", "kind"), [(4, GO), (3, HOLD), (0, HOLD)])
def test_it_holds_when_comfort_with_the_dose_is_3_or_lower(comfort, kind):
    assert suggest(week(1, comfort=comfort)).kind is kind


@pytest.mark.parametrize(("phq9", "kind"), [(10, GO), (11, HOLD)])
def test_it_holds_and_flags_mood_when_phq9_worsens_by_5(phq9, kind):
    result = suggest(week(1, phq9=phq9))
    assert result.kind is kind
    assert ("mood" in result.flags) is (kind is HOLD)


def test_it_flags_safety_when_phq9_item_9_is_above_zero_on_any_check_in():
    result = suggest(week(1, phq9_item9=1), week(2))
    assert result.kind is HOLD
    assert "safety" in result.flags
    assert "contact you today" in result.reasons[0]


def test_it_does_not_flag_safety_when_item_9_is_zero():
    assert "safety" not in suggest(week(1, phq9_item9=0)).flags


@pytest.mark.parametrize(("satisfaction", "flagged"), [(4, False), (3, True)])
def test_low_satisfaction_does_not_block_a_step_but_flags_a_talk(satisfaction, flagged):
    result = suggest(week(1, satisfaction=satisfaction))
    assert result.kind is GO
    assert ("discuss_plan" in result.flags) is flagged
    assert not result.raises_concern


def test_it_holds_when_the_latest_check_in_has_neither_pain_nor_comfort():
    result = suggest(week(1, pain=None, comfort=None))
    assert result.kind is HOLD
    assert "missing_ratings" in result.codes


def test_it_skips_rules_whose_inputs_are_missing():
    assert suggest(week(1, pain=None), baseline=Baseline()).kind is GO


def test_the_most_cautious_kind_wins_and_every_reason_is_kept():
    result = suggest(week(1, pain=8, comfort=2, phq9=12))
    assert result.kind is SLOW
    assert {"pain_slow", "low_comfort", "mood"} <= set(result.codes)
    assert len(result.reasons) == len(result.codes)
    assert result.raises_concern


def test_every_reason_is_plain_language():
    for kind, text in REASONS.values():
        assert isinstance(kind, SuggestionKind)
        assert text[0].isupper() and text.endswith(".")


def test_the_thresholds_are_the_documented_ones():
    assert (rules.PAIN_HOLD_RISE, rules.PAIN_SLOW_RISE, rules.PAIN_STEP_BACK_RISE) == (2, 3, 4)
    assert (rules.WITHDRAWAL_CONCERN_SOWS, rules.WITHDRAWAL_SEVERE_SOWS) == (16, 32)
    assert (rules.COMFORT_HOLD_MAX, rules.PHQ9_WORSENING, rules.SATISFACTION_LOW_MAX) == (3, 5, 3)


def test_flags_are_shown_in_words_in_the_readers_language():
    from django.utils import translation

    suggestion = rules.Suggestion(
        rules.SuggestionKind.HOLD, ("mood",), frozenset({"mood", "discuss_plan"})
    )
    assert suggestion.flag_labels == ["how the patient feels about the plan", "mood"]
    with translation.override("sv"):
        assert suggestion.flag_labels == ["hur patienten upplever planen", "humöret"]
    with translation.override("es"):
        assert suggestion.flag_labels == ["cómo se siente el paciente con el plan", "el ánimo"]
