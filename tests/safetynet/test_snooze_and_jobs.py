"""Snoozes suppress and expire; escalation happens on time and once; silence is noticed once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coproduce.audit.models import AuditEvent
from coproduce.platform.models import Notification
from coproduce.safetynet import services
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.jobs import escalate_overdue, find_silent_patients
from coproduce.safetynet.models import Alert
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")
MINUTE = dt.timedelta(minutes=1)


def free_text_alert(patient, at=T0):
    response, scores = checkin(patient, at, scores={"peg": 2}, free_text="note")
    return evaluate_and_record(response, scores, now=at)


def test_a_snooze_suppresses_the_rule_until_it_expires(staffed):
    enroll(staffed.alice)
    alert = free_text_alert(staffed.alice).alerts[0]
    services.resolve_alert(actor=staffed.nina, alert=alert, note="read", action_taken=False)
    services.snooze(actor=staffed.nina, alert=alert, days=7, now=T0)
    quiet = free_text_alert(staffed.alice, T0 + dt.timedelta(days=6))
    loud = free_text_alert(staffed.alice, T0 + dt.timedelta(days=7, minutes=1))
    assert quiet.alerts == [] and quiet.messages == []
    assert [a.rule_id for a in loud.alerts] == ["taper-free-text"]
    assert AuditEvent.objects.filter(event="alert.snoozed", actor=staffed.nina).count() == 1


@pytest.mark.parametrize("days", [0, 31, "lots", None])
def test_it_refuses_a_snooze_outside_1_to_30_days(staffed, days):
    enroll(staffed.alice)
    alert = free_text_alert(staffed.alice).alerts[0]
    with pytest.raises(ValidationError):
        services.snooze(actor=staffed.nina, alert=alert, days=days)


def test_a_crisis_alert_cannot_be_snoozed(staffed):
    response, scores = checkin(staffed.alice, items={"phq9": {"phq9-9": 1}})
    alert = evaluate_and_record(response, scores).alerts[0]
    with pytest.raises(ValidationError, match="cannot be snoozed"):
        services.snooze(actor=staffed.nina, alert=alert, days=3)


def crisis_alert(world, at=T0):
    response, scores = checkin(world.alice, at, items={"phq9": {"phq9-9": 1}})
    return evaluate_and_record(response, scores, now=at).alerts[0]


def test_an_urgent_alert_escalates_to_a_clinician_once_it_is_overdue(staffed):
    alert = crisis_alert(staffed)
    assert escalate_overdue(T0 + 59 * MINUTE) == []
    assert [a.pk for a in escalate_overdue(T0 + 60 * MINUTE)] == [alert.pk]
    assert escalate_overdue(T0 + 61 * MINUTE) == []  # a second worker finds nothing to claim
    alert.refresh_from_db()
    assert alert.escalation_level == 1 and alert.escalated_at == T0 + 60 * MINUTE
    escalations = Notification.objects.filter(purpose="escalation")
    assert list(escalations.values_list("to", flat=True)) == ["jo@example.org"]


def test_it_escalates_to_the_whole_team_an_hour_later_and_then_stops(staffed):
    alert = crisis_alert(staffed)
    escalate_overdue(T0 + 60 * MINUTE)
    assert escalate_overdue(T0 + 119 * MINUTE) == []
    assert len(escalate_overdue(T0 + 120 * MINUTE)) == 1
    assert escalate_overdue(T0 + 600 * MINUTE) == []
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert Notification.objects.filter(purpose="escalation").count() == 1 + 3


def test_an_acknowledged_alert_does_not_escalate(staffed):
    alert = crisis_alert(staffed)
    services.acknowledge_alert(actor=staffed.nina, alert=alert, now=T0 + 30 * MINUTE)
    assert escalate_overdue(T0 + 90 * MINUTE) == []


def test_a_silent_patient_gets_one_alert_per_silence_episode(world):
    enroll(world.alice)
    checkin(world.alice, T0, scores={"peg": 3})
    assert find_silent_patients(T0 + weeks(3) - MINUTE) == []
    assert [a.patient for a in find_silent_patients(T0 + weeks(3))] == [world.alice]
    assert find_silent_patients(T0 + weeks(4)) == []
    checkin(world.alice, T0 + weeks(5), scores={"peg": 3})
    assert len(find_silent_patients(T0 + weeks(8))) == 1
    assert Alert.objects.filter(rule_id="taper-no-checkin").count() == 2


def test_a_patient_who_never_checked_in_is_alerted_once(world):
    enroll(world.alice, started=(T0 - weeks(4)).date())
    assert len(find_silent_patients(T0)) == 1
    assert find_silent_patients(T0 + weeks(1)) == []
