"""Demo safety net: load the rules and raise a few alerts from existing check-in history."""

from __future__ import annotations

from coproduce.demo import DemoContext
from coproduce.people.models import Patient
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import Alert, PatientMessage
from coproduce.safetynet.rules import sync_rules

ALERTS_WANTED = 6


def seed(ctx: DemoContext) -> None:
    """Idempotent: re-evaluating a response returns what it already wrote."""
    sync_rules()
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
