"""Raising an alert for a care team: the one place an `Alert` is made.

Every alert — from the rules engine, the periodic jobs, the medicine list, a dose change or a
taper request — gets the same three things here: its creation time, the time by which the
team must acknowledge it (from its priority), and an `alert.raised` audit row.
`plan_alert` returns them unsaved (the submit writes them in its `Batch`); `raise_alert`
saves them at once. tests/safetynet/test_raise_alert.py fails if an alert is made elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from coproduce.audit.models import AuditEvent
from coproduce.audit.services import audit_event
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.models import Alert

# How soon the team must acknowledge an alert. These become per-site settings later (a Site
# field, added by the lead); until then every site uses the same times. Routine follows
# PRO-TECT, where a human forwarded alerts within 72 hours.
URGENT_ACK_MINUTES = 60
SOON_ACK_HOURS = 24
ROUTINE_ACK_HOURS = 72


def ack_due(priority: int, now: dt.datetime) -> dt.datetime:
    """When an alert of `priority` raised at `now` must be acknowledged."""
    if priority == Priority.URGENT:
        return now + dt.timedelta(minutes=URGENT_ACK_MINUTES)
    if priority == Priority.SOON:
        return now + dt.timedelta(hours=SOON_ACK_HOURS)
    return now + dt.timedelta(hours=ROUTINE_ACK_HOURS)


@dataclass
class RaisedAlert:
    """An alert and its `alert.raised` audit row (unsaved until written)."""

    alert: Alert
    event: AuditEvent


def plan_alert(
    *,
    patient: Any,
    rule_id: str,
    priority: int,
    reason: str,
    reason_texts: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    response: Any = None,
    rule_version: int = 0,
    now: dt.datetime | None = None,
    ack_due_at: dt.datetime | None = None,
    actor: Any = None,
) -> RaisedAlert:
    """Return an unsaved alert for `patient`'s care team and its unsaved audit row.

    `ack_due_at` defaults to the priority's acknowledgement time; pass it only where a
    promise already made to the patient sets it (e.g. a taper request's reply time).
    """
    now = now or clock.now()
    alert = Alert(
        patient=patient,
        care_team_id=patient.care_team_id,
        response=response,
        rule_id=rule_id,
        rule_version=rule_version,
        priority=priority,
        reason=str(reason)[:300],
        reason_texts=reason_texts or {},
        data=data or {},
        created_at=now,
        ack_due_at=ack_due_at or ack_due(priority, now),
    )
    if type(patient).care_team.is_cached(patient):  # spare a query where it is at hand
        alert.care_team = patient.care_team
    event = audit_event(
        "alert.raised", actor=actor, patient=patient, obj=alert, detail={"rule": rule_id}
    )
    return RaisedAlert(alert, event)


def raise_alert(**what: Any) -> Alert:
    """Save an alert and its `alert.raised` audit row (arguments as for `plan_alert`)."""
    raised = plan_alert(**what)
    raised.alert.save()
    raised.event.object_id = str(raised.alert.pk)
    raised.event.save()
    return raised.alert
