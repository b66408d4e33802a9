"""Every message promises the time its alert is due, for every rule in every shipped file.

A patient once read "by tomorrow" for an answer the team was asked to handle on another
schedule. Here each check-in rule is made to fire, and its message must name the alert's
acknowledgement time (in the clinic's zone), which must follow from the alert's priority.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from coproduce.platform.models import Priority
from coproduce.safetynet.alerts import URGENT_ACK_MINUTES
from coproduce.safetynet.engine import CRISIS_RULE_ID, evaluate_and_record
from coproduce.safetynet.rules import read_all
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")

# T0 is Monday 2 March 2026, 09:00 UTC: 10:00 in Stockholm, the test clinic's zone.
ACK_WINDOW = {
    Priority.URGENT: dt.timedelta(minutes=60),
    Priority.SOON: dt.timedelta(hours=24),
    Priority.ROUTINE: dt.timedelta(hours=72),
}
PROMISE = {
    Priority.URGENT: "by 11:00 today",
    Priority.SOON: "by 10:00 tomorrow",
    Priority.ROUTINE: "by Thursday 5 March",
}
# Any other promise of time in a message would contradict the one that follows from the alert.
PROMISES = re.compile(
    r"\b(?:by|within|before|until|in)\s+(?:\d+\s*\w+|\d|today|tonight|tomorrow|next \w+|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)",
    re.IGNORECASE,
)

TAPER, RA = "opioid-taper", "ra-registry"
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "taper-mood-crisis": (TAPER, {"scores": {"phq9": 12}, "items": {"phq9": {"phq9-9": 2}}}),
    "taper-mood-severe": (TAPER, {"scores": {"phq9": 22}}),
    "taper-pain-up": (TAPER, {"scores": {"peg": 5.0}, "before": [(8, {"peg": 3.0})]}),
    "taper-withdrawal-rising": (
        TAPER,
        {
            "scores": {"withdrawal-nrs": 6},
            "before": [(2, {"withdrawal-nrs": 2}), (1, {"withdrawal-nrs": 4})],
        },
    ),
    "taper-withdrawal-severe": (TAPER, {"scores": {"withdrawal-nrs": 8}}),
    "taper-low-comfort": (
        TAPER,
        {"items": {"taper-weekly": {"taper-comfort": 2, "taper-satisfaction": 8}}},
    ),
    "taper-low-satisfaction": (
        TAPER,
        {"items": {"taper-weekly": {"taper-comfort": 8, "taper-satisfaction": 2}}},
    ),
    "taper-free-text": (TAPER, {"scores": {"peg": 3}, "free_text": "Can we talk?"}),
    "ibd-hbi-flare": ("ibd", {"scores": {"hbi": 9}}),
    "ibd-pucai-flare": ("ibd", {"scores": {"pucai": 40}}),
    "ra-das28-flare": (RA, {"scores": {"das28-crp": 5.5}}),
    "flare-patient-reported": ("cf", {"items": {"flare": {"flare-now": 1}}}),
    "phq9-severe": (RA, {"scores": {"phq9": 23}}),
    "phq9-moderate": (RA, {"scores": {"phq9": 16}}),
    "pain-up-major": (RA, {"scores": {"pain-nrs": 9.0}, "before": [(8, {"pain-nrs": 3.0})]}),
    "pain-up": ("ibd", {"scores": {"pain-nrs": 5.0}, "before": [(8, {"pain-nrs": 3.0})]}),
    CRISIS_RULE_ID: (RA, {"scores": {"phq9": 10}, "items": {"phq9": {"phq9-9": 1}}}),
}


def test_every_check_in_rule_of_every_shipped_file_has_a_scenario():
    check_in_rules = {r["id"] for r in read_all() if r["trigger"] == "checkin"}
    assert set(SCENARIOS) == check_in_rules | {CRISIS_RULE_ID}
    for rule in read_all():
        if rule["trigger"] == "checkin":
            assert "{ack_by}" in rule["message"]["clinic_will"], rule["id"]


@pytest.mark.parametrize("rule_id", sorted(SCENARIOS))
def test_the_message_promises_the_time_its_alert_is_due(world, rule_id):
    program, scenario = SCENARIOS[rule_id]
    world.nina.email = "nina@example.org"  # someone hears urgent alerts (issue 11.4)
    world.nina.save()
    enroll(world.alice, program)
    for ago, scores in scenario.get("before", []):
        checkin(world.alice, T0 - weeks(ago), scores=scores)
    response, scores = checkin(
        world.alice,
        T0,
        scores=scenario.get("scores"),
        items=scenario.get("items"),
        free_text=scenario.get("free_text", ""),
    )
    outcome = evaluate_and_record(response, scores, now=T0)
    alert = next(a for a in outcome.alerts if a.rule_id == rule_id)
    message = next(m for m in outcome.messages if m.rule_id == rule_id)
    assert alert.ack_due_at - alert.created_at == ACK_WINDOW[alert.priority]
    assert PROMISE[alert.priority] in message.clinic_will
    text = " ".join([message.acknowledge, message.validate, message.advise, message.clinic_will])
    others = PROMISES.findall(text.replace(PROMISE[alert.priority], ""))
    allowed = (
        {f"within {URGENT_ACK_MINUTES} minutes"} if alert.priority == Priority.URGENT else set()
    )
    assert set(others) <= allowed
    assert "{" not in text and "not known" not in message.clinic_will


@pytest.mark.parametrize("rule_id", ["taper-mood-crisis", CRISIS_RULE_ID])
def test_an_urgent_message_promises_no_time_when_nobody_can_be_told(world, rule_id):
    program, scenario = SCENARIOS[rule_id]  # no address in the team, no site contact
    enroll(world.alice, program)
    response, scores = checkin(
        world.alice, T0, scores=scenario.get("scores"), items=scenario.get("items")
    )
    outcome = evaluate_and_record(response, scores, now=T0)
    message = next(m for m in outcome.messages if m.rule_id == rule_id)
    text = " ".join([message.acknowledge, message.validate, message.advise, message.clinic_will])
    assert PROMISE[Priority.URGENT] not in text and not PROMISES.findall(text)
    assert "call your clinic" in message.clinic_will
