"""Demo safety net: load the rules, raise a few open alerts from the latest check-ins, and
write the history of urgent alerts (PHQ-9 item 9) with their acknowledgements."""

from __future__ import annotations

import datetime as dt

from coproduce.checkins.models import Score
from coproduce.demo import DemoContext
from coproduce.people.models import CLINICAL_ROLES, CareTeamMembership, Patient
from coproduce.platform.batch import Batch, Ref
from coproduce.platform.models import Priority
from coproduce.safetynet.alerts import URGENT_ACK_MINUTES, plan_alert
from coproduce.safetynet.engine import BUILTIN_CRISIS, CRISIS_RULE_ID, evaluate_and_record
from coproduce.safetynet.models import Alert, AlertStatus, PatientMessage, Rule
from coproduce.safetynet.rules import sync_rules

ALERTS_WANTED = 6
#: Share of urgent alerts acknowledged within URGENT_ACK_MINUTES.
IN_TIME = 0.88


def seed(ctx: DemoContext) -> None:
    """Idempotent: re-evaluating a response returns what it already wrote."""
    sync_rules()
    _current(ctx)
    _history(ctx)


def _current(ctx: DemoContext) -> None:
    if Alert.objects.filter(patient__registry_id__startswith="CP-").exists():
        return
    patients = Patient.objects.filter(checkin_responses__isnull=False).distinct()
    made = 0
    for patient in patients.order_by("registry_id"):
        latest = patient.checkin_responses.order_by("-submitted_at").first()
        if latest is None or PatientMessage.objects.filter(response=latest).exists():
            continue
        outcome = evaluate_and_record(latest, list(latest.scores.all()), now=latest.submitted_at)
        made += len(outcome.alerts)
        ctx.count("alerts", bool(outcome.alerts))
        if made >= ALERTS_WANTED:
            break


def _history(ctx: DemoContext) -> None:
    """One urgent alert per past check-in with PHQ-9 item 9 above 0, acknowledged and closed.

    Written in bulk, without the patient messages and e-mails the engine sends at the time:
    they belong to the moment, not to the registry's history.
    """
    scores = (
        Score.objects.filter(
            instrument_id="phq9", response__idempotency_key__startswith="demo:", complete=True
        )
        .select_related("patient")
        .order_by("at", "pk")
    )
    positive = [s for s in scores if (s.item_values or {}).get("phq9-9", 0) > 0]
    has_alert = set(
        Alert.objects.filter(response_id__in=[s.response_id for s in positive]).values_list(
            "response_id", flat=True
        )
    )
    taper = set(
        Patient.objects.filter(enrollments__program__slug="opioid-taper").values_list(
            "pk", flat=True
        )
    )
    version = dict(
        Rule.objects.filter(rule_id="taper-mood-crisis", active=True).values_list(
            "rule_id", "version"
        )
    )
    staff: dict[int, list] = {}
    for m in CareTeamMembership.objects.filter(user__role__in=CLINICAL_ROLES).order_by("pk"):
        staff.setdefault(m.care_team_id, []).append(m.user_id)
    batch, n = Batch(), 0
    for s in positive:
        # Drawn for every alert on every run, so a second run draws the same stream.
        in_time = ctx.rng.random() < IN_TIME
        minutes = ctx.rng.randint(4, URGENT_ACK_MINUTES) if in_time else ctx.rng.randint(65, 600)
        resolve_hours = ctx.rng.randint(2, 48)
        who = ctx.rng.random()
        if s.response_id in has_alert:
            continue
        team = s.patient.care_team_id
        rule_id = "taper-mood-crisis" if s.patient_id in taper else CRISIS_RULE_ID
        members = staff.get(team) or [None]
        by = members[int(who * len(members))]
        acked = s.at + dt.timedelta(minutes=minutes)
        # Raised as the engine would have raised it, then worked as the team did.
        raised = plan_alert(
            patient=s.patient,
            rule_id=rule_id,
            rule_version=version.get(rule_id, 0),
            priority=Priority.URGENT,
            reason=BUILTIN_CRISIS["reason"],
            data={"phq9 item 9": "above 0", "crisis": True},
            now=s.at,
        )
        alert = raised.alert
        alert.response_id = s.response_id
        alert.status = AlertStatus.RESOLVED
        alert.assigned_to_id = alert.acknowledged_by_id = alert.resolved_by_id = by
        alert.acknowledged_at = acked
        alert.resolved_at = acked + dt.timedelta(hours=resolve_hours)
        alert.resolution_note = "Called the patient; safety plan reviewed."
        alert.action_taken = True
        raised.event.at = s.at
        batch.insert(alert)
        batch.insert(raised.event, refs={"object_id": Ref(alert)})
        n += 1
    batch.write()
    for _ in range(n):
        ctx.count("past urgent alerts", True)
