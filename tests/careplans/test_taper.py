"""Patient-paced taper: paces, schedules, requests, unplanned changes, comfortable dose."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coproduce.careplans import taper
from coproduce.careplans.dose_review import (
    DoseRecord,
    FindingKind,
    detect_unplanned_changes,
    lowest_comfortable_dose,
)
from coproduce.careplans.taper import (
    PACE_OPTIONS,
    TEN_PERCENT_EVERY_2_WEEKS,
    TEN_PERCENT_EVERY_MONTH,
    EndReason,
    Pace,
    PlanState,
    PlanStatus,
    Regimen,
    RequestKind,
    TaperInputError,
    UnsafePaceError,
    apply_patient_request,
    build_schedule,
    default_pace,
)

D = Decimal
MONDAY = date(2025, 1, 6)


# Paces.


def test_it_offers_only_safe_paces():
    for pace in PACE_OPTIONS:
        assert pace.percent <= 10
        assert pace.percent_per_week <= 5


def test_it_offers_cdc_10_percent_a_month_after_a_year_of_use():
    assert default_pace(12) is TEN_PERCENT_EVERY_MONTH
    assert default_pace(None) is TEN_PERCENT_EVERY_MONTH
    assert default_pace(11) is TEN_PERCENT_EVERY_2_WEEKS


def test_it_accepts_10_percent_a_week_at_the_limit():
    assert Pace(D(10), every_weeks=1).percent_per_week == 10


def test_it_rejects_more_than_10_percent_a_week():
    with pytest.raises(UnsafePaceError, match="a week"):
        Pace(D("10.5"), every_weeks=1)


def test_it_accepts_a_20_percent_step_every_4_weeks_as_in_the_va_range():
    assert Pace(D(20), every_weeks=4).percent == 20


def test_it_rejects_a_single_step_over_20_percent():
    with pytest.raises(UnsafePaceError, match="too abrupt"):
        Pace(D("20.1"), every_weeks=8)


def test_it_rejects_immediate_discontinuation():
    with pytest.raises(UnsafePaceError, match="never an immediate stop"):
        Pace(D(100), every_weeks=52)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percent": D(0), "every_weeks": 4}, "reduce"),
        ({"percent": D(5)}, "exactly one"),
        ({"percent": D(5), "every_weeks": 2, "every_months": 1}, "exactly one"),
        ({"percent": D(5), "every_weeks": -2}, "exactly one"),
    ],
)
def test_it_rejects_malformed_paces(kwargs, message):
    with pytest.raises(UnsafePaceError, match=message):
        Pace(**kwargs)


def test_slower_goes_from_10_to_5_percent_then_doubles_the_interval():
    assert TEN_PERCENT_EVERY_2_WEEKS.slower() == Pace(D(5), every_weeks=2)
    assert Pace(D(5), every_weeks=2).slower() == Pace(D(5), every_weeks=4)
    assert TEN_PERCENT_EVERY_MONTH.slower().slower() == Pace(D(5), every_months=2)


def test_monthly_steps_fall_on_the_same_day_of_the_month_or_the_last_day():
    assert TEN_PERCENT_EVERY_MONTH.after(date(2025, 1, 31)) == date(2025, 2, 28)
    assert TEN_PERCENT_EVERY_MONTH.after(date(2025, 11, 15), 2) == date(2026, 1, 15)


# Schedules in MME.


def test_it_starts_the_schedule_at_todays_dose():
    schedule = build_schedule(MONDAY, 100, TEN_PERCENT_EVERY_2_WEEKS)
    assert schedule.steps[0].on == MONDAY
    assert schedule.steps[0].daily_mme == 100
    assert schedule.steps[0].change_percent == 0


def test_it_cuts_10_percent_of_the_current_dose_every_step():
    steps = build_schedule(MONDAY, 100, TEN_PERCENT_EVERY_2_WEEKS).steps
    assert [s.daily_mme for s in steps[:4]] == [100, 90, 81, D("72.9")]
    assert [s.on for s in steps[:3]] == [MONDAY, MONDAY + timedelta(14), MONDAY + timedelta(28)]
    assert steps[1].change_percent == D("-10.0")


def test_it_halves_the_step_just_below_30_percent_of_the_start():
    schedule = build_schedule(MONDAY, D("29.9"), TEN_PERCENT_EVERY_2_WEEKS, original_start_mme=100)
    # 29.9 x 0.95 = 28.405, rounded up to 28.5 so the cut never exceeds the pace.
    assert schedule.steps[1].daily_mme == D("28.5")
    assert "lower doses" in schedule.steps[1].note


def test_it_keeps_halved_steps_all_the_way_down():
    steps = build_schedule(MONDAY, 100, TEN_PERCENT_EVERY_2_WEEKS).steps
    below = [s for s in steps[1:] if steps[s.number - 1].daily_mme < 30]
    assert len(below) > 10
    assert all(D("-5.0") <= s.change_percent < 0 for s in below)
    assert all("lower doses" in s.note for s in below)


def test_it_keeps_the_full_step_at_exactly_30_percent_of_the_start():
    schedule = build_schedule(MONDAY, 30, TEN_PERCENT_EVERY_2_WEEKS, original_start_mme=100)
    assert schedule.steps[1].daily_mme == 27


def test_it_uses_the_original_start_for_the_low_dose_rule_when_rebuilding():
    schedule = build_schedule(MONDAY, 20, TEN_PERCENT_EVERY_2_WEEKS, original_start_mme=100)
    assert schedule.steps[1].daily_mme == 19


def test_it_stops_at_the_patients_goal():
    schedule = build_schedule(MONDAY, 100, TEN_PERCENT_EVERY_2_WEEKS, target_mme=85)
    assert [s.daily_mme for s in schedule.steps] == [100, 90, 85]
    assert schedule.end_reason is EndReason.TARGET_REACHED


def test_it_leaves_the_final_steps_below_5_mme_to_the_team():
    schedule = build_schedule(MONDAY, 20, TEN_PERCENT_EVERY_2_WEEKS)
    assert schedule.steps[-1].daily_mme <= taper.FINAL_STEPS_MME
    assert schedule.steps[-2].daily_mme > taper.FINAL_STEPS_MME
    assert schedule.end_reason is EndReason.FINAL_STEPS_WITH_TEAM
    assert "with your team" in schedule.notes[0]


def test_it_never_schedules_a_stop_to_zero():
    schedule = build_schedule(MONDAY, 200, TEN_PERCENT_EVERY_2_WEEKS)
    assert all(s.daily_mme > 0 for s in schedule.steps)


def test_it_rejects_a_zero_starting_dose_or_a_negative_goal():
    with pytest.raises(TaperInputError):
        build_schedule(MONDAY, 0, TEN_PERCENT_EVERY_2_WEEKS)
    with pytest.raises(TaperInputError):
        build_schedule(MONDAY, 50, TEN_PERCENT_EVERY_2_WEEKS, target_mme=-1)


def test_it_knows_the_planned_dose_on_any_day():
    schedule = build_schedule(MONDAY, 100, TEN_PERCENT_EVERY_2_WEEKS)
    assert schedule.planned_mme_on(MONDAY - timedelta(1)) is None
    assert schedule.planned_mme_on(MONDAY + timedelta(13)) == 100
    assert schedule.planned_mme_on(MONDAY + timedelta(14)) == 90


paces = st.sampled_from(PACE_OPTIONS)
start_doses = st.decimals(min_value=D(6), max_value=D(600), places=1)


@given(start_doses, paces)
def test_a_schedule_never_rises_and_never_cuts_more_than_the_pace(start, pace):
    steps = build_schedule(MONDAY, start, pace).steps
    for before, after in pairwise(steps):
        assert after.on > before.on
        assert after.daily_mme < before.daily_mme
        assert after.daily_mme >= before.daily_mme * (1 - pace.percent / 100)


# Schedules with a real regimen.

OXY_60 = Regimen("oxycodone", D(60), D(5), doses_per_day=3)


def test_it_rounds_each_daily_amount_up_to_whole_tablets():
    steps = build_schedule(MONDAY, OXY_60, TEN_PERCENT_EVERY_2_WEEKS).steps
    assert [s.daily_amount for s in steps[:4]] == [60, 55, 50, 45]
    assert steps[0].daily_mme == 90
    assert steps[1].daily_mme == D("82.5")


def test_it_splits_the_daily_amount_over_the_day_larger_doses_first():
    steps = build_schedule(MONDAY, OXY_60, TEN_PERCENT_EVERY_2_WEEKS).steps
    assert steps[0].doses == (20, 20, 20)
    assert steps[1].doses == (20, 20, 15)


def test_it_spaces_out_a_one_tablet_step_that_is_bigger_than_the_pace():
    steps = build_schedule(MONDAY, OXY_60, TEN_PERCENT_EVERY_2_WEEKS).steps
    step = next(s for s in steps if s.daily_amount == 40)  # 45 -> 40 mg is 11.1 %
    assert step.on - steps[step.number - 1].on == timedelta(weeks=4)
    assert "spaced out" in step.note


def test_it_ends_when_one_tablet_would_be_more_than_20_percent():
    schedule = build_schedule(MONDAY, OXY_60, TEN_PERCENT_EVERY_2_WEEKS)
    assert schedule.steps[-1].daily_amount == 20  # 20 -> 15 mg would be 25 %
    assert schedule.end_reason is EndReason.SMALLER_UNIT_NEEDED


def test_it_stops_at_the_smallest_whole_tablet_amount_at_or_above_the_goal():
    schedule = build_schedule(MONDAY, OXY_60, TEN_PERCENT_EVERY_2_WEEKS, target_mme=70)
    assert schedule.steps[-1].daily_amount == 50  # 75 MME; 45 mg would be 67.5 MME
    assert schedule.end_reason is EndReason.TARGET_REACHED


def test_it_tapers_a_fentanyl_patch_in_whole_patch_steps():
    patch = Regimen("fentanyl", D(100), D("12.5"), unit="mcg/hr")
    steps = build_schedule(MONDAY, patch, TEN_PERCENT_EVERY_2_WEEKS).steps
    assert steps[0].daily_mme == 240
    assert steps[1].daily_amount == D("87.5")
    assert steps[1].doses == (D("87.5"),)


def test_it_refuses_to_schedule_buprenorphine_by_mme():
    with pytest.raises(TaperInputError, match="no MME factor"):
        build_schedule(MONDAY, Regimen("buprenorphine", D(8), D(2)), TEN_PERCENT_EVERY_2_WEEKS)


@given(st.integers(min_value=4, max_value=60), st.sampled_from([D("2.5"), D(5)]), paces)
def test_a_regimen_schedule_keeps_whole_units_and_the_average_pace(units, unit, pace):
    regimen = Regimen("morphine", unit * units, unit, doses_per_day=2)
    steps = build_schedule(MONDAY, regimen, pace).steps
    for before, after in pairwise(steps):
        assert after.daily_amount % unit == 0
        assert sum(after.doses) == after.daily_amount
        drop = (before.daily_amount - after.daily_amount) / before.daily_amount * 100
        assert 0 < drop <= taper.MAX_STEP_PERCENT
        intervals = D((after.on - before.on).days) / D(7) / pace.weeks
        # A month counts as 4 weeks in pace.weeks, so months give intervals >= 1 too.
        assert drop / intervals <= pace.percent or drop <= pace.percent


# Patient requests.


def plan(**changes):
    base = PlanState(
        status=PlanStatus.ACTIVE,
        pace=TEN_PERCENT_EVERY_2_WEEKS,
        start_mme=D(90),
        current_mme=D(81),
        previous_mme=D(90),
        last_change_on=MONDAY,
    )
    return PlanState(**{**base.__dict__, **changes})


def test_a_pause_keeps_the_dose_and_asks_the_team_to_keep_prescribing():
    outcome = apply_patient_request(plan(), RequestKind.PAUSE, MONDAY)
    assert outcome.state.status is PlanStatus.PAUSED
    assert outcome.state.current_mme == 81
    assert "paused at 81 MME/day" in outcome.message_to_patient
    assert any("no gap in supply" in a for a in outcome.team_actions)
    assert outcome.needs_team_response
    assert outcome.respond_by == MONDAY + timedelta(days=3)


def test_slow_halves_the_step_and_asks_the_team_to_rebuild_the_schedule():
    outcome = apply_patient_request(plan(), "slow", MONDAY)
    assert outcome.state.pace == Pace(D(5), every_weeks=2)
    assert any("Rebuild" in a for a in outcome.team_actions)


def test_stop_means_staying_at_the_current_dose_never_discontinuing():
    outcome = apply_patient_request(plan(), RequestKind.STOP, MONDAY)
    assert outcome.state.status is PlanStatus.STOPPED
    assert outcome.state.current_mme == 81
    assert outcome.state.target_mme == 81
    assert "never means stopping your medicine" in outcome.message_to_patient
    assert any("Do not discontinue" in a for a in outcome.team_actions)


def test_resume_reactivates_a_paused_plan():
    outcome = apply_patient_request(plan(status=PlanStatus.PAUSED), RequestKind.RESUME, MONDAY)
    assert outcome.state.status is PlanStatus.ACTIVE


def test_every_request_is_logged_and_needs_a_team_answer():
    state = plan()
    for kind in RequestKind:
        outcome = apply_patient_request(state, kind, MONDAY)
        assert outcome.needs_team_response
        assert outcome.team_actions[0].startswith("Reply to the patient")
        state = outcome.state
    assert [r.kind for r in state.requests] == list(RequestKind)


def test_it_rejects_an_unknown_request():
    with pytest.raises(ValueError):
        apply_patient_request(plan(), "double", MONDAY)


# Changes outside the plan.

SCHEDULE = build_schedule(MONDAY, 100, TEN_PERCENT_EVERY_2_WEEKS)


def records(*pairs):
    return [DoseRecord(MONDAY + timedelta(days=day), D(mme)) for day, mme in pairs]


def test_it_finds_nothing_when_the_dose_follows_the_plan():
    assert detect_unplanned_changes(records((0, 100), (14, 90), (28, 81)), SCHEDULE) == []


def test_it_allows_a_planned_step_up_to_7_days_early():
    assert detect_unplanned_changes(records((0, 100), (7, 90)), SCHEDULE) == []


def test_it_flags_a_planned_step_taken_8_days_early():
    findings = detect_unplanned_changes(records((0, 100), (6, 90)), SCHEDULE)
    assert [f.kind for f in findings] == [FindingKind.REDUCTION_BEYOND_PLAN]


def test_it_allows_a_dose_up_to_5_percent_below_the_plan():
    assert detect_unplanned_changes(records((0, 100), (14, D("85.5"))), SCHEDULE) == []


def test_it_flags_a_dose_more_than_5_percent_below_the_plan():
    findings = detect_unplanned_changes(records((0, 100), (14, D("85.4"))), SCHEDULE)
    assert findings[0].kind is FindingKind.REDUCTION_BEYOND_PLAN
    assert findings[0].planned_mme == 90
    assert "the plan says 90" in findings[0].message


def test_it_allows_a_25_percent_cut_as_far_as_abruptness_goes():
    findings = detect_unplanned_changes(records((0, 100), (14, 75)), None)
    assert findings == []


def test_it_flags_a_cut_of_more_than_25_percent_at_once_as_abrupt():
    findings = detect_unplanned_changes(records((0, 100), (14, D("74.9"))), SCHEDULE)
    assert [f.kind for f in findings] == [FindingKind.ABRUPT_REDUCTION]
    assert findings[0].change_percent == D("-25.1")


def test_it_flags_a_sudden_stop_as_abrupt():
    findings = detect_unplanned_changes(records((0, 100), (3, 0)), SCHEDULE)
    assert findings[0].kind is FindingKind.ABRUPT_REDUCTION
    assert findings[0].to_mme == 0


def test_it_flags_any_increase_not_agreed():
    findings = detect_unplanned_changes(records((0, 100), (14, 90), (20, 95)), SCHEDULE)
    assert [f.kind for f in findings] == [FindingKind.UNPLANNED_INCREASE]


def test_it_does_not_flag_an_agreed_increase():
    history = records((0, 100), (14, 90), (20, 100))
    agreed = [MONDAY + timedelta(days=20)]
    assert detect_unplanned_changes(history, SCHEDULE, agreed_increases=agreed) == []


def test_it_flags_a_restart_after_zero():
    findings = detect_unplanned_changes(records((0, 10), (30, 0), (40, 10)), None)
    assert [f.kind for f in findings] == [
        FindingKind.ABRUPT_REDUCTION,
        FindingKind.UNPLANNED_INCREASE,
    ]


# Lowest comfortable dose.


def test_it_records_the_lowest_dose_held_four_weeks_without_a_concern():
    history = records((0, 100), (28, 90), (56, 81))
    found = lowest_comfortable_dose(history, [], as_of=MONDAY + timedelta(days=84))
    assert found is not None
    assert found.daily_mme == 81
    assert found.since == MONDAY + timedelta(days=56)


def test_it_does_not_count_a_dose_held_one_day_short_of_four_weeks():
    history = records((0, 100), (28, 90), (56, 81))
    found = lowest_comfortable_dose(history, [], as_of=MONDAY + timedelta(days=83))
    assert found is not None
    assert found.daily_mme == 90


def test_it_does_not_count_a_dose_during_which_a_concern_was_raised():
    history = records((0, 100), (28, 90), (56, 81))
    concern = [MONDAY + timedelta(days=60)]
    found = lowest_comfortable_dose(history, concern, as_of=MONDAY + timedelta(days=90))
    assert found is not None
    assert found.daily_mme == 90


def test_it_returns_none_before_any_dose_was_held_long_enough():
    assert lowest_comfortable_dose(records((0, 100)), [], as_of=MONDAY + timedelta(days=27)) is None
