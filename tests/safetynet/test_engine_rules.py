"""Every shipped rule fires where it should and stays quiet where it must not."""

from __future__ import annotations

import datetime as dt

import pytest

from coproduce.platform.models import Priority
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import Alert
from coproduce.visits.models import Appointment, AppointmentStatus
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")


def fired(patient, **kwargs) -> set[str]:
    response, scores = checkin(patient, kwargs.pop("at", T0), **kwargs)
    outcome = evaluate_and_record(response, scores, now=response.submitted_at)
    return {a.rule_id for a in outcome.alerts}


@pytest.mark.parametrize(
    ("baseline", "now", "fires"),
    [(3.0, 5.0, True), (3.0, 4.9, False), (3.0, 7.0, True), (6.0, 4.0, False)],
)
def test_it_alerts_when_peg_is_up_2_from_baseline(world, baseline, now, fires):
    enroll(world.alice)
    checkin(world.alice, T0 - weeks(20), scores={"peg": baseline})
    checkin(world.alice, T0 - weeks(1), scores={"peg": 9.0})  # later values are not baseline
    assert ("taper-pain-up" in fired(world.alice, scores={"peg": now})) is fires


def test_it_uses_the_first_score_after_enrolment_as_baseline(world):
    enroll(world.alice, started=(T0 - weeks(10)).date())
    checkin(world.alice, T0 - weeks(30), scores={"peg": 1.0})  # before enrolment
    checkin(world.alice, T0 - weeks(8), scores={"peg": 4.0})
    assert "taper-pain-up" not in fired(world.alice, scores={"peg": 5.0})


@pytest.mark.parametrize(("now", "fires"), [(6.0, True), (5.5, False)])
def test_it_alerts_when_pain_nrs_is_up_2_from_baseline(world, now, fires):
    enroll(world.alice)
    checkin(world.alice, T0 - weeks(5), scores={"pain-nrs": 4.0})
    assert ("taper-pain-up" in fired(world.alice, scores={"pain-nrs": now})) is fires


def test_it_stays_quiet_on_pain_without_a_baseline(world):
    enroll(world.alice)
    assert fired(world.alice, scores={"peg": 9.0}) == set()


@pytest.mark.parametrize(
    ("series", "fires"),
    [([10, 12, 15], True), ([10, 12, 12], False), ([12, 10, 15], False), ([15], False)],
)
def test_it_alerts_when_withdrawal_rises_two_weeks_in_a_row(world, series, fires):
    enroll(world.alice)
    *past, now = series
    for n, value in enumerate(past):
        checkin(world.alice, T0 - weeks(len(past) - n), scores={"sows": value})
    assert ("taper-withdrawal-rising" in fired(world.alice, scores={"sows": now})) is fires


@pytest.mark.parametrize(
    ("series", "fires"),
    [
        ([2, 4, 6], True),
        ([3, 4, 5], True),
        ([1, 2, 3], False),
        ([5, 6, 6], False),
        ([6, 4, 5], False),
    ],
)
def test_it_alerts_when_withdrawal_symptoms_rise_two_weeks_in_a_row(world, series, fires):
    enroll(world.alice)
    *past, now = series
    for n, value in enumerate(past):
        checkin(world.alice, T0 - weeks(len(past) - n), scores={"withdrawal-nrs": value})
    alerts = fired(world.alice, scores={"withdrawal-nrs": now})
    assert ("taper-withdrawal-rising" in alerts) is fires


@pytest.mark.parametrize(("now", "fires"), [(7, True), (10, True), (6, False), (0, False)])
def test_it_alerts_when_withdrawal_symptoms_bother_a_lot(world, now, fires):
    enroll(world.alice)
    assert (
        "taper-withdrawal-severe" in fired(world.alice, scores={"withdrawal-nrs": now})
    ) is fires


@pytest.mark.parametrize(
    ("previous", "now", "fires"),
    [(None, 20, True), (None, 19, False), (10, 15, True), (10, 14, False), (15, 10, False)],
)
def test_it_alerts_on_severe_or_worsening_phq9(world, previous, now, fires):
    enroll(world.alice)
    if previous is not None:
        checkin(world.alice, T0 - weeks(1), scores={"phq9": previous})
    assert ("taper-mood-severe" in fired(world.alice, scores={"phq9": now})) is fires


@pytest.mark.parametrize(("comfort", "fires"), [(0, True), (3, True), (4, False), (10, False)])
def test_it_alerts_on_low_comfort_with_the_dose(world, comfort, fires):
    enroll(world.alice)
    items = {"taper-weekly": {"taper-comfort": comfort, "taper-satisfaction": 8}}
    assert ("taper-low-comfort" in fired(world.alice, items=items)) is fires


@pytest.mark.parametrize(("satisfaction", "fires"), [(3, True), (4, False)])
def test_it_alerts_on_low_satisfaction(world, satisfaction, fires):
    enroll(world.alice)
    items = {"taper-weekly": {"taper-comfort": 8, "taper-satisfaction": satisfaction}}
    assert ("taper-low-satisfaction" in fired(world.alice, items=items)) is fires


@pytest.mark.parametrize(("text", "fires"), [("Can we talk?", True), ("   ", False), ("", False)])
def test_it_asks_the_team_to_read_free_text(world, text, fires):
    enroll(world.alice)
    assert ("taper-free-text" in fired(world.alice, scores={"peg": 3}, free_text=text)) is fires


def test_the_taper_crisis_rule_is_urgent_and_marks_crisis(world):
    enroll(world.alice)
    response, scores = checkin(world.alice, scores={"phq9": 12}, items={"phq9": {"phq9-9": 1}})
    outcome = evaluate_and_record(response, scores)
    assert outcome.crisis
    assert [(a.rule_id, a.priority) for a in outcome.alerts] == [
        ("taper-mood-crisis", Priority.URGENT)
    ]
    assert outcome.messages[0].crisis


@pytest.mark.parametrize(
    ("previous", "now", "fires"),
    [(None, 8, True), (None, 7, False), (2, 5, True), (2, 4, False)],
)
def test_it_alerts_on_a_crohns_flare(world, previous, now, fires):
    enroll(world.alice, "ibd")
    if previous is not None:
        checkin(world.alice, T0 - weeks(4), scores={"hbi": previous})
    assert ("ibd-hbi-flare" in fired(world.alice, scores={"hbi": now})) is fires


@pytest.mark.parametrize(
    ("previous", "now", "fires"),
    [(None, 35, True), (None, 30, False), (10, 30, True), (10, 25, False)],
)
def test_it_alerts_on_a_colitis_flare(world, previous, now, fires):
    enroll(world.alice, "ibd")
    if previous is not None:
        checkin(world.alice, T0 - weeks(4), scores={"pucai": previous})
    assert ("ibd-pucai-flare" in fired(world.alice, scores={"pucai": now})) is fires


@pytest.mark.parametrize(
    ("previous", "now", "fires"),
    [(3.0, 4.3, True), (3.0, 4.2, False), (None, 5.2, True), (None, 5.1, False)],
)
def test_it_alerts_on_rising_or_high_das28(world, previous, now, fires):
    enroll(world.alice, "ra-registry")
    if previous is not None:
        checkin(world.alice, T0 - weeks(12), scores={"das28-crp": previous})
    assert ("ra-das28-flare" in fired(world.alice, scores={"das28-crp": now})) is fires


@pytest.mark.parametrize(("answer", "fires"), [(1, True), (0, False)])
def test_it_alerts_on_a_patient_reported_flare(world, answer, fires):
    enroll(world.alice, "cf")
    items = {"flare": {"flare-now": answer}}
    assert ("flare-patient-reported" in fired(world.alice, items=items)) is fires


def test_rules_of_other_programs_stay_quiet(world):
    enroll(world.alice, "ra-registry")  # HBI is the IBD program's, free text the taper's
    assert fired(world.alice, scores={"hbi": 12, "pain-nrs": 3}, free_text="hello") == set()


def test_patients_in_no_program_get_no_rule_alerts(world):
    assert fired(world.alice, scores={"phq9": 25}) == set()


def test_it_measures_change_since_the_last_attended_visit(world):
    enroll(world.alice, "ibd")
    checkin(world.alice, T0 - weeks(6), scores={"hbi": 2})
    Appointment.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        starts_at=T0 - weeks(5),
        status=AppointmentStatus.ATTENDED,
    )
    from coproduce.safetynet.facts import Facts, load_snapshot

    response, scores = checkin(world.alice, scores={"hbi": 6})
    snapshot = load_snapshot(
        patient_id=world.alice.pk,
        at=response.submitted_at,
        now=response.submitted_at,
        instruments={"hbi"},
        exclude_response=response.pk,
    )
    facts = Facts(response, scores, snapshot)
    assert facts("since_last_visit", "hbi") == 4
    assert facts("baseline", "hbi") == 2


def test_the_alert_carries_the_data_and_a_four_part_message(world):
    enroll(world.alice)
    checkin(world.alice, T0 - weeks(10), scores={"peg": 3.0})
    response, scores = checkin(world.alice, scores={"peg": 6.0})
    outcome = evaluate_and_record(response, scores, now=T0)
    alert = outcome.alerts[0]
    assert alert.data["score(peg)"] == 6.0 and alert.data["baseline(peg)"] == 3.0
    assert "PEG 6 (baseline 3)" in alert.reason
    assert alert.ack_due_at == T0 + dt.timedelta(hours=24)
    message = outcome.messages[0]
    assert all([message.acknowledge, message.validate, message.advise, message.clinic_will])
    assert "10:00 tomorrow" in message.clinic_will  # Stockholm (UTC+1), 24 h on


def test_an_unresolved_alert_is_not_raised_again_but_the_patient_still_hears(world):
    enroll(world.alice)
    first = fired(world.alice, free_text="one", at=T0 - weeks(1))
    response, scores = checkin(world.alice, free_text="two")
    outcome = evaluate_and_record(response, scores)
    assert first == {"taper-free-text"}
    assert outcome.alerts == [] and len(outcome.messages) == 1
    assert Alert.objects.filter(rule_id="taper-free-text").count() == 1


@pytest.mark.parametrize(("answer", "fires"), [("yes", True), ("no", False)])
def test_a_flare_reported_through_a_check_in_reaches_the_team(world, answer, fires):
    from django.db import transaction

    from coproduce.checkins.services import submit_checkin

    enroll(world.alice, "ibd")
    with transaction.atomic():
        result = submit_checkin(
            patient=world.alice,
            answers={"flare": {"flare-now": answer}},
            idempotency_key=f"flare-{answer}",
            now=T0,
        )
    assert result.scores[0].score == (1 if fires else 0)
    assert Alert.objects.filter(rule_id="flare-patient-reported").exists() is fires
    assert any(m.rule_id == "flare-patient-reported" for m in result.messages) is fires
