import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.audit.models import AuditEvent
from coproduce.careplans import services
from coproduce.careplans.models import (
    Decision,
    PlanStatus,
    StepStatus,
    TaperDecision,
    TaperRequest,
)
from coproduce.careplans.outcomes import Branch
from coproduce.careplans.suggestions import SuggestionKind
from coproduce.careplans.taper import PACE_OPTIONS, Pace, Regimen
from coproduce.platform import clock
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.models import Alert
from tests import factories
from tests.careplans.helpers import clinician_for, oxycodone_plan, score

D = Decimal
START = dt.date(2025, 1, 6)


@pytest.fixture
def doc(world):
    return clinician_for(world.team_a)


def test_it_refuses_an_abrupt_or_unlisted_pace_with_a_clear_message(world, doc):
    with pytest.raises(ValidationError, match="too abrupt"):
        services.pace_from(100, every_weeks=1)
    with pytest.raises(ValidationError, match="Choose one of the safe paces"):
        services.pace_from(15, every_weeks=4)
    assert services.pace_from(10, every_months=1) in PACE_OPTIONS
    regimen = Regimen("oxycodone", D(60), D(5), doses_per_day=3)
    with pytest.raises(ValidationError):
        services.create_taper_plan(
            world.alice, regimen=regimen, pace=Pace(D(15), every_weeks=4), start_on=START, by=doc
        )
    assert not world.alice.taper_plans.exists()


def test_it_lets_only_a_clinician_create_a_plan(world):
    regimen = Regimen("oxycodone", D(60), D(5), doses_per_day=3)
    with pytest.raises(PermissionDenied):
        services.create_taper_plan(
            world.alice, regimen=regimen, pace=PACE_OPTIONS[0], start_on=START, by=world.nina
        )


def test_it_stores_the_schedule_from_build_schedule(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    steps = list(plan.steps.order_by("number"))
    assert plan.start_mme == D(90)
    assert steps[0].status == StepStatus.DONE and steps[0].target_mme == D(90)
    assert steps[1].due_on == START + dt.timedelta(weeks=4)
    assert steps[1].daily_amount == D(55)  # 60 mg -10 %, rounded up to whole 5 mg units
    assert steps[1].doses == ["20", "20", "15"]
    assert all(s.status == StepStatus.PLANNED for s in steps[1:])
    assert AuditEvent.objects.filter(event="careplans.taper.created", patient=world.alice).exists()
    with pytest.raises(ValidationError, match="already has a taper plan"):
        oxycodone_plan(world.alice, doc)


def test_it_suggests_going_ahead_from_steady_weekly_checkins(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    score(world.alice, "pain-nrs", 6, on=START - dt.timedelta(days=3))
    for week in (1, 2, 3):
        day = START + dt.timedelta(weeks=week)
        score(world.alice, "pain-nrs", 6, on=day)
        score(world.alice, "taper-weekly", None, on=day, items={"taper-comfort": 7})
    suggestion = services.suggest_for_next_step(plan, now=_at(START + dt.timedelta(weeks=4)))
    assert suggestion.kind is SuggestionKind.GO_AHEAD


def test_it_suggests_holding_when_pain_rose_two_points_since_the_last_change(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    score(world.alice, "pain-nrs", 5, on=START - dt.timedelta(days=2))
    score(world.alice, "pain-nrs", 7, on=START + dt.timedelta(weeks=1))
    suggestion = services.suggest_for_next_step(plan, now=_at(START + dt.timedelta(weeks=2)))
    assert suggestion.kind is SuggestionKind.HOLD
    assert "pain_hold" in suggestion.codes
    assert "2 points higher" in " ".join(suggestion.reasons)


def test_it_reads_comfort_satisfaction_and_phq9_from_score_rows(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    day = START + dt.timedelta(weeks=1)
    score(
        world.alice,
        "taper-weekly",
        None,
        on=day,
        items={"taper-comfort": 2, "taper-satisfaction": "very-dissatisfied"},
    )
    score(world.alice, "phq9", 12, on=day, items={"phq9-9": 1})
    (checkin,) = services.weekly_checkins(world.alice, since=START)
    assert (checkin.comfort, checkin.satisfaction, checkin.phq9_item9) == (2, 0, 1)
    suggestion = services.suggest_for_next_step(plan, now=_at(day + dt.timedelta(days=1)))
    assert {"low_comfort", "self_harm", "low_satisfaction"} <= set(suggestion.codes)
    assert "safety" in suggestion.flags


def test_it_holds_without_checkins_since_the_last_change(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    suggestion = services.suggest_for_next_step(plan, now=_at(START + dt.timedelta(weeks=4)))
    assert suggestion.codes == ("no_checkins",)


def test_it_records_a_go_ahead_decision_and_moves_to_the_next_step(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    suggestion = services.suggest_for_next_step(plan)
    decision = services.record_decision(
        plan, suggestion=suggestion, decision="go_ahead", by=doc, why="Agreed by phone."
    )
    assert decision.decision == Decision.GO_AHEAD and decision.suggestion_kind == "hold"
    assert services.plan_state(plan).current_mme == D("82.5")
    with pytest.raises(ValidationError, match="Say why"):
        services.record_decision(plan, suggestion=suggestion, decision="go_ahead", by=doc)


def test_it_steps_back_up_to_the_previous_dose_and_rebuilds(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    suggestion = services.suggest_for_next_step(plan)
    for _ in range(2):
        services.record_decision(plan, suggestion=suggestion, decision="go_ahead", by=doc, why="ok")
    services.record_decision(
        plan, suggestion=suggestion, decision="step_back_up", by=doc, why="pain flare"
    )
    assert services.plan_state(plan).current_mme == D("82.5")
    assert plan.steps.filter(status=StepStatus.STEPPED_BACK).count() == 1
    assert services.next_step(plan).target_mme < D("82.5")
    assert TaperDecision.objects.filter(plan=plan).count() == 3


def test_a_patient_pause_request_reaches_the_team_and_is_answered(world, doc):
    world.nina.email = "nina@example.org"
    world.nina.save()
    plan = oxycodone_plan(world.alice, doc)
    request = services.request_change(plan, "pause", "Too much going on", world.alice.user)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
    alert = Alert.objects.get(patient=world.alice)
    assert (alert.priority, alert.reason) == (Priority.SOON, "Taper change requested")
    assert alert.care_team == world.team_a
    note = Notification.objects.get(patient=world.alice)
    assert note.to == "nina@example.org" and "Too much" not in note.body
    assert "paused" in services.request_message(request)
    services.answer_request(request, answer="Paused; call us when ready.", by=world.nina)
    request.refresh_from_db()
    alert.refresh_from_db()
    assert request.answered_by == world.nina and alert.status == "resolved"
    with pytest.raises(ValidationError, match="already been answered"):
        services.answer_request(request, answer="again", by=world.nina)


def test_a_stop_request_keeps_the_current_dose_and_holds_the_schedule(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    services.request_change(plan, "stop", "", world.alice.user)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STOPPED and plan.target_mme == D(90)
    assert services.next_step(plan) is None


def test_a_parent_can_ask_for_their_child_and_others_cannot(world, doc):
    plan = oxycodone_plan(world.tom, doc)
    services.request_change(plan, "slow", "He is struggling", world.paula)
    with pytest.raises(PermissionDenied):
        services.request_change(plan, "pause", "", world.nina)
    request = TaperRequest.objects.get(plan=plan)
    with pytest.raises(PermissionDenied):
        services.answer_request(request, answer="no", by=world.carl)
    services.answer_request(request, answer="Going slower from today.", by=world.nina)
    plan.refresh_from_db()
    assert plan.pace == Pace(D(5), every_weeks=4)
    assert plan.steps.filter(status=StepStatus.SLOWED).exists()


def test_an_abrupt_dose_cut_outside_the_plan_raises_an_alert(world, doc):
    oxycodone_plan(world.alice, doc)
    alert = services.check_dose_change(world.alice, 45, on=START + dt.timedelta(days=10))
    assert alert is not None and alert.data["kind"] == "abrupt_reduction"
    assert "too abrupt" in alert.reason


def test_an_unplanned_increase_raises_an_alert_and_a_planned_step_does_not(world, doc):
    oxycodone_plan(world.alice, doc)
    planned = services.check_dose_change(world.alice, D("82.5"), on=START + dt.timedelta(weeks=4))
    assert planned is None
    alert = services.check_dose_change(world.alice, 120, on=START + dt.timedelta(days=3))
    assert alert.data["kind"] == "unplanned_increase"


def test_taper_status_summarises_the_plan_for_the_dashboard(world, doc):
    assert services.taper_status(world.alice).has_plan is False
    oxycodone_plan(world.alice, doc, start_on=clock.today())
    status = services.taper_status(world.alice)
    assert status.current_mme == D(90) and status.plan_status == "active"
    assert status.next_step_mme == D("82.5")
    assert status.next_step_on == clock.today() + dt.timedelta(weeks=4)


def _at(day):
    return dt.datetime.combine(day, dt.time(18), tzinfo=dt.UTC)


def _outcome_case(world, doc, *, mme12, pain0, pain12):
    patient = factories.make_patient(world.team_a)
    oxycodone_plan(patient, doc)
    score(patient, "pain-nrs", pain0, on=START - dt.timedelta(days=5))
    med = patient.medications.get()
    if mme12 != 90:
        services.record_medication(
            patient,
            drug="oxycodone",
            strength=D(mme12) / D("1.5"),
            per_day=1,
            started_on=START + dt.timedelta(days=300),
            by=doc,
            replaces=med,
        )
    score(patient, "pain-nrs", pain12, on=START + dt.timedelta(days=370))
    return patient


def test_outcome_succeeds_when_mme_halves_and_pain_rises_at_most_one(world, doc):
    patient = _outcome_case(world, doc, mme12=45, pain0=6, pain12=7)
    result = services.tapering_outcome(patient)
    assert result.success is True and result.branch is Branch.MME_HALVED_PAIN_STABLE
    assert (result.baseline_mme, result.month12_mme, result.month12_pain) == (90, 45, 7)


def test_outcome_succeeds_when_pain_falls_two_without_an_increase(world, doc):
    result = services.tapering_outcome(_outcome_case(world, doc, mme12=90, pain0=7, pain12=5))
    assert result.success is True and result.branch is Branch.PAIN_IMPROVED_NO_MME_INCREASE


def test_outcome_fails_when_neither_branch_is_met(world, doc):
    result = services.tapering_outcome(_outcome_case(world, doc, mme12=60, pain0=6, pain12=6))
    assert result.success is False


def test_outcome_is_missing_without_a_12_month_pain_score(world, doc):
    patient = factories.make_patient(world.team_a)
    oxycodone_plan(patient, doc)
    result = services.tapering_outcome(patient)
    assert result.success is None and "baseline pain" in result.reason


def test_cohort_success_is_reported_by_site(world, doc):
    _outcome_case(world, doc, mme12=45, pain0=6, pain12=6)
    _outcome_case(world, doc, mme12=60, pain0=6, pain12=6)
    carl_patient = factories.make_patient(world.team_b)
    oxycodone_plan(carl_patient, clinician_for(world.team_b))
    rates = services.cohort_success_by_site()
    north = rates[world.team_a.site.name]
    assert (north.n, north.successes, north.rate) == (2, 1, D("0.5"))
    assert rates[world.team_b.site.name].missing == 1
