"""The crisis check cannot be turned off by data, and urgent alerts reach the team once."""

from __future__ import annotations

import pytest

from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.engine import (
    CRISIS_RESOURCES,
    CRISIS_RULE_ID,
    evaluate_and_record,
    is_crisis,
)
from coproduce.safetynet.models import Alert, Rule
from tests.safetynet.factories import checkin, enroll


def crisis_checkin(patient, **kwargs):
    return checkin(patient, scores={"phq9": 14}, items={"phq9": {"phq9-9": 2}}, **kwargs)


def test_it_raises_an_urgent_crisis_alert_with_no_rule_rows(staffed):
    assert not Rule.objects.exists()
    response, scores = crisis_checkin(staffed.alice)
    outcome = evaluate_and_record(response, scores)
    assert outcome.crisis
    assert [(a.rule_id, a.priority) for a in outcome.alerts] == [(CRISIS_RULE_ID, Priority.URGENT)]
    assert outcome.messages[0].crisis and outcome.messages[0].advise == CRISIS_RESOURCES


def test_it_raises_the_crisis_alert_when_a_rule_row_is_broken(staffed, rules):
    enroll(staffed.alice)
    Rule.objects.create(
        rule_id="broken", ruleset="x", title="x", definition={"programs": ["opioid-taper"]}
    )
    response, scores = crisis_checkin(staffed.alice)
    outcome = evaluate_and_record(response, scores)
    assert outcome.crisis
    assert [a.rule_id for a in outcome.alerts] == [CRISIS_RULE_ID]


def test_it_reads_the_crisis_from_the_flag_alone(db, world):
    response, scores = checkin(
        world.alice, scores={"phq9": 3}, flags={"phq9": ["phq9_item9_positive"]}
    )
    assert is_crisis(response, scores)


def test_it_reads_the_crisis_from_stored_answer_codes_when_no_score_says_so(db, world):
    response, _ = checkin(world.alice, scores={"phq9": 3})
    response.answers = {"phq9": {"phq9-9": "LA6569-3"}}  # "several days" = 1
    assert is_crisis(response, [])


@pytest.mark.parametrize("value", [0, "0", None, "n/a"])
def test_item_9_of_zero_or_unreadable_is_no_crisis(db, world, value):
    response, scores = checkin(world.alice, scores={"phq9": 3}, items={"phq9": {"phq9-9": value}})
    assert not is_crisis(response, scores)
    assert evaluate_and_record(response, scores).alerts == []


def test_the_crisis_resources_say_what_to_do_and_when_we_call():
    for words in ("112", "90101", "1177", "emergency department", "Tell someone", "minutes"):
        assert words in CRISIS_RESOURCES


def test_urgent_alerts_notify_the_teams_nurses_once(staffed):
    response, scores = crisis_checkin(staffed.alice)
    evaluate_and_record(response, scores)
    again = evaluate_and_record(response, scores)  # a retried evaluation writes nothing new
    assert list(Notification.objects.values_list("to", "purpose")) == [
        ("nina@example.org", "alert")
    ]
    assert Alert.objects.count() == 1 and len(again.alerts) == 1


def test_routine_alerts_send_no_notification(staffed, rules):
    enroll(staffed.alice)
    response, scores = checkin(staffed.alice, scores={"peg": 2}, free_text="a note")
    assert [a.rule_id for a in evaluate_and_record(response, scores).alerts] == ["taper-free-text"]
    assert not Notification.objects.exists()
