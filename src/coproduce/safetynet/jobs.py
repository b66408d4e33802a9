"""Periodic safety-net jobs: escalate unacknowledged urgent alerts, notice silent patients.

Both are safe to run twice or from two workers at once: escalation claims each alert with a
conditional update, and a silence alert is raised once per silence episode.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Max, Q

from coproduce.audit.services import record
from coproduce.checkins.models import Enrollment
from coproduce.people.models import Patient
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.alerts import URGENT_ACK_MINUTES, raise_alert
from coproduce.safetynet.models import Alert, AlertStatus, Rule
from coproduce.safetynet.reach import tell

# After the nurses (level 0) come the clinicians (1), then the whole team (2).
MAX_ESCALATION_LEVEL = 2
SILENCE_RULE_ID = "taper-no-checkin"
DEFAULT_SILENT_DAYS = 21


def escalate_overdue(now: dt.datetime | None = None) -> list[Alert]:
    """Escalate open urgent alerts past their acknowledgement time; return those escalated.

    The first step is due at `ack_due_at`, each later one URGENT_ACK_MINUTES after the last.
    `ack_due_at` itself is never moved, so "acknowledged in time" keeps its meaning.
    """
    now = now or clock.now()
    step = dt.timedelta(minutes=URGENT_ACK_MINUTES)
    due = Alert.objects.filter(
        Q(escalation_level=0, ack_due_at__lte=now) | Q(escalated_at__lte=now - step),
        status=AlertStatus.OPEN,
        priority=Priority.URGENT,
        escalation_level__lt=MAX_ESCALATION_LEVEL,
    ).values_list("pk", "escalation_level")
    escalated = []
    for pk, level in list(due):
        with transaction.atomic():
            # The claim: only one worker moves this alert from `level` to `level + 1`.
            claimed = Alert.objects.filter(
                pk=pk, escalation_level=level, status=AlertStatus.OPEN
            ).update(escalation_level=F("escalation_level") + 1, escalated_at=now)
            if not claimed:
                continue
            alert = Alert.objects.select_related("patient", "care_team__site").get(pk=pk)
            tell(
                alert,
                alert.escalation_level,
                purpose="escalation",
                key=f"escalation:a{alert.pk}:l{alert.escalation_level}",
                now=now,
            )
            record(
                "alert.escalated",
                patient=alert.patient,
                obj=alert,
                detail={"level": alert.escalation_level},
            )
            escalated.append(alert)
    return escalated


def _silence_rules() -> list[tuple[str, int, int, set[str], str]]:
    rows = Rule.objects.filter(active=True).values_list("rule_id", "version", "definition")
    rules = [
        (rule_id, version, d["silent_days"], set(d["programs"]), d["reason"])
        for rule_id, version, d in rows
        if d.get("trigger") == "silence"
    ]
    # Without loaded rules the taper program still gets the 3-week check.
    return rules or [
        (SILENCE_RULE_ID, 0, DEFAULT_SILENT_DAYS, {"opioid-taper"}, "No check-in for 3 weeks")
    ]


def find_silent_patients(now: dt.datetime | None = None) -> list[Alert]:
    """Raise a routine alert for each enrolled patient silent past a silence rule's days.

    One alert per silence episode: a patient who stays silent is not alerted again until
    they check in and fall silent once more.
    """
    now = now or clock.now()
    raised = []
    for rule_id, version, days, programs, reason in _silence_rules():
        cutoff = now - dt.timedelta(days=days)
        enrolled = Enrollment.objects.filter(
            program__slug__in=programs, ended_on__isnull=True, started_on__lte=cutoff.date()
        ).values("patient_id")
        patients = (
            Patient.objects.filter(pk__in=enrolled)
            .annotate(last=Max("checkin_responses__submitted_at"))
            .filter(Q(last__lte=cutoff) | Q(last__isnull=True))
        )
        for patient in patients:
            since = patient.last or dt.datetime.combine(cutoff.date(), dt.time.min, tzinfo=dt.UTC)
            if Alert.objects.filter(
                patient=patient, rule_id=rule_id, created_at__gt=since
            ).exists():
                continue  # already raised for this episode
            alert = raise_alert(
                patient=patient,
                rule_id=rule_id,
                rule_version=version,
                priority=Priority.ROUTINE,
                reason=reason,
                data={"last_checkin": patient.last.isoformat() if patient.last else None},
                now=now,
            )
            raised.append(alert)
    return raised
