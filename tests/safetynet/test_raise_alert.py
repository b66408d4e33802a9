"""Every alert is made by `safetynet.alerts` (raise_alert / plan_alert), nowhere else."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import coproduce
from coproduce.audit.models import AuditEvent
from coproduce.careplans import services as careplans
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.alerts import ROUTINE_ACK_HOURS, SOON_ACK_HOURS, raise_alert
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.jobs import find_silent_patients
from coproduce.safetynet.models import Alert
from tests.careplans.helpers import clinician_for, oxycodone_plan
from tests.safetynet.factories import T0, checkin, enroll

SRC = Path(coproduce.__file__).parent
THE_ONE_PLACE = SRC / "safetynet" / "alerts.py"
# An Alert constructed, or created through a manager or in raw SQL.
MAKES_AN_ALERT = re.compile(
    r"(?<!class )\bAlert\s*\("
    r"|\bAlert\.objects\.(create|bulk_create|get_or_create|update_or_create)\b"
    r"|\balerts\.(create|get_or_create|update_or_create)\s*\("
    r"|(?i:insert\s+into\s+\W?safetynet_alert\b)"
)
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def places_that_make_alerts(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if path != THE_ONE_PLACE and "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if MAKES_AN_ALERT.search(line) and not line.lstrip().startswith("#")
    ]


def test_nothing_outside_raise_alert_makes_an_alert():
    assert places_that_make_alerts(SRC) == []


def test_the_check_finds_an_alert_made_elsewhere(tmp_path):
    (tmp_path / "a.py").write_text("x = Alert(patient=p)\n")
    (tmp_path / "b.py").write_text("Alert.objects.create(patient=p)\n")
    (tmp_path / "c.py").write_text("patient.alerts.create(rule_id='x')\n")
    (tmp_path / "d.py").write_text("PlannedAlert(alert, [], [])\nAlert.objects.filter(pk=1)\n")
    assert [line.split(":")[0] for line in places_that_make_alerts(tmp_path)] == [
        "a.py",
        "b.py",
        "c.py",
    ]


def assert_raised_properly(alert: Alert, *, now: dt.datetime, due: dt.timedelta) -> None:
    alert.refresh_from_db()
    assert alert.created_at == now
    assert alert.ack_due_at == now + due
    raised = AuditEvent.objects.get(event="alert.raised", object_id=str(alert.pk))
    assert (raised.patient_id, raised.detail["rule"]) == (alert.patient_id, alert.rule_id)


def test_a_dose_change_alert_has_a_due_time_a_creation_time_and_an_audit_row(world):
    doc = clinician_for(world.team_a)
    oxycodone_plan(world.alice, doc)
    med = world.alice.medications.get()
    with clock.frozen(NOW):
        cut = careplans.record_medication(
            world.alice,
            drug="oxycodone",
            strength=10,
            per_day=3,
            started_on=dt.date(2025, 1, 16),
            by=doc,
            replaces=med,
        )
    assert cut.dose_alert is not None
    assert_raised_properly(cut.dose_alert, now=NOW, due=dt.timedelta(hours=SOON_ACK_HOURS))
    assert AuditEvent.objects.get(event="alert.raised").actor == doc


def test_a_disputed_medicine_alert_is_raised_the_same_way(world):
    doc = clinician_for(world.team_a)
    oxycodone_plan(world.alice, doc)
    med = world.alice.medications.get()
    alert = careplans.report_medication_problem(med, "Twice a day", by=world.alice.user, now=NOW)
    assert_raised_properly(alert, now=NOW, due=dt.timedelta(hours=ROUTINE_ACK_HOURS))


def test_a_silence_alert_is_raised_the_same_way(world):
    enroll(world.alice)
    [alert] = find_silent_patients(T0)
    assert_raised_properly(alert, now=T0, due=dt.timedelta(hours=ROUTINE_ACK_HOURS))


@pytest.mark.usefixtures("rules")
def test_an_engine_alert_is_raised_the_same_way(world):
    enroll(world.alice)
    response, scores = checkin(world.alice, T0, items={"phq9": {"phq9-9": 1}})
    [alert] = evaluate_and_record(response, scores, now=T0).alerts
    assert_raised_properly(alert, now=T0, due=dt.timedelta(minutes=60))


def test_a_taper_request_alert_keeps_the_reply_time_promised_to_the_patient(world):
    doc = clinician_for(world.team_a)
    plan = oxycodone_plan(world.alice, doc)
    request = careplans.request_change(plan, "pause", "Too much going on", world.alice.user, NOW)
    assert request.alert.ack_due_at == NOW + dt.timedelta(days=careplans.taper.TEAM_RESPONSE_DAYS)
    assert_raised_properly(request.alert, now=NOW, due=request.alert.ack_due_at - NOW)


def test_a_promised_reply_time_is_kept(world):
    due = NOW + dt.timedelta(days=2)
    alert = raise_alert(
        patient=world.alice,
        rule_id="x",
        priority=Priority.SOON,
        reason="r",
        now=NOW,
        ack_due_at=due,
    )
    assert_raised_properly(alert, now=NOW, due=due - NOW)


def test_a_module_that_raises_alerts_has_the_alert_audit_kinds_without_the_engine():
    """careplans raises alerts without importing the rules engine (e.g. in a CLI command)."""
    script = (
        "import django, sys; django.setup(); import coproduce.careplans.medications; "
        "from coproduce.audit.events import is_registered; "
        "print(is_registered('alert.raised'), 'coproduce.safetynet.engine' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "coproduce.settings"},
    )
    assert done.stdout.split() == ["True", "False"]
