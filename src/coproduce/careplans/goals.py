"""Goals in the patient's words, clinical targets, the action plan, and progress.

Who writes what: the patient (or a parent) writes and edits their own goals; the nurse or
clinician of the team sets clinical targets. Either may add action items and mark them
done. Each function saves and audits; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.careplans.models import ActionItem, Comparator, Goal, GoalKind, GoalStatus, Who
from coproduce.checkins.models import Score
from coproduce.people.access import can_answer_for
from coproduce.people.models import CLINICAL_ROLES, Patient, Role, User
from coproduce.platform import clock

TEAM = CLINICAL_ROLES

#: Scored instruments a goal can be measured by: the patient-reported scores and the
#: clinician-entered disease activity indices (all stored as Score rows).
MEASURES: dict[str, str] = {
    "peg": "PEG (pain, enjoyment, activity), 0-10",
    "pain-nrs": "Pain intensity, 0-10",
    "phq9": "PHQ-9 (mood), 0-27",
    "gad7": "GAD-7 (anxiety), 0-21",
    "das28-esr": "DAS28-ESR (remission is below 2.6)",
    "das28-crp": "DAS28-CRP (remission is below 2.6)",
    "cdai": "CDAI",
    "sdai": "SDAI",
    "hbi": "Harvey-Bradshaw Index",
    "pucai": "PUCAI",
}


def is_team_member(user: User, patient: Patient) -> bool:
    """Whether ``user`` is a nurse or clinician on the patient's care team."""
    return user.role in TEAM and user.care_teams.filter(pk=patient.care_team_id).exists()


def may_write_goal(user: User, patient: Patient, kind: str) -> bool:
    """Patients and parents write the patient's goals; the team writes clinical targets."""
    if kind == GoalKind.PATIENT:
        return can_answer_for(user, patient)
    return is_team_member(user, patient)


def may_plan_actions(user: User, patient: Patient) -> bool:
    return can_answer_for(user, patient) or is_team_member(user, patient)


def _measure(instrument_id: str, comparator: str, target_value) -> tuple[str, str, Decimal | None]:
    """A complete measure link, or none at all; half a target is refused with the reason."""
    instrument_id, comparator = (instrument_id or "").strip(), (comparator or "").strip()
    given = [bool(instrument_id), bool(comparator), target_value not in (None, "")]
    if not any(given):
        return "", "", None
    errors = {}
    if instrument_id not in MEASURES:
        errors["instrument_id"] = _("Choose the score that measures this goal.")
    if comparator not in Comparator.values:
        errors["comparator"] = _("Choose at most, below, at least or above.")
    try:
        target = Decimal(str(target_value))
        if not target.is_finite() or target < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["target_value"] = _("Give the target as a number, 0 or more.")
        target = None
    if errors:
        raise ValidationError(errors)
    return instrument_id, comparator, target


def _text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": "Write the goal."})
    if len(text) > 300:
        raise ValidationError({"text": "Keep it under 300 characters."})
    return text


def add_goal(
    patient: Patient,
    *,
    by: User,
    kind: str,
    text: str,
    instrument_id: str = "",
    comparator: str = "",
    target_value: Decimal | int | str | None = None,
) -> Goal:
    """Store a new goal (patient/parent) or clinical target (team)."""
    kind = GoalKind(kind)
    if not may_write_goal(by, patient, kind):
        raise PermissionDenied("Patients write their goals; the team sets clinical targets.")
    instrument_id, comparator, target = _measure(instrument_id, comparator, target_value)
    goal = Goal.objects.create(
        patient=patient,
        kind=kind,
        text=_text(text),
        instrument_id=instrument_id,
        comparator=comparator,
        target_value=target,
        set_by=by,
    )
    _audit_goal(goal, by, "added")
    return goal


def update_goal(
    goal: Goal,
    *,
    by: User,
    text: str,
    status: str,
    instrument_id: str = "",
    comparator: str = "",
    target_value: Decimal | int | str | None = None,
) -> Goal:
    """Change a goal's words, measure or status; only whoever may write its kind may."""
    if not may_write_goal(by, goal.patient, goal.kind):
        raise PermissionDenied("Patients write their goals; the team sets clinical targets.")
    if status not in GoalStatus.values:
        raise ValidationError({"status": "Choose working on it, achieved or set aside."})
    goal.instrument_id, goal.comparator, goal.target_value = _measure(
        instrument_id, comparator, target_value
    )
    goal.text, goal.status = _text(text), status
    goal.save(update_fields=["text", "status", "instrument_id", "comparator", "target_value"])
    _audit_goal(goal, by, "changed")
    return goal


def _audit_goal(goal: Goal, by: User, what: str) -> None:
    record(
        "careplans.goal.saved",
        actor=by,
        patient=goal.patient,
        acting_for=goal.patient if by.role == Role.FAMILY else None,
        obj=goal,
        detail={"what": what, "kind": goal.kind, "status": goal.status},
    )


def add_action(
    patient: Patient, *, by: User, who: str, what: str, due_on: dt.date | None = None
) -> ActionItem:
    """Add one line to the action plan: who does what by when."""
    if not may_plan_actions(by, patient):
        raise PermissionDenied("Only the patient, their parent or their team plan actions.")
    if who not in Who.values:
        raise ValidationError({"who": "Choose the patient, the family or the care team."})
    what = " ".join((what or "").split())
    if not what:
        raise ValidationError({"what": "Say what will be done."})
    if len(what) > 300:
        raise ValidationError({"what": "Keep it under 300 characters."})
    item = ActionItem.objects.create(
        patient=patient, who=who, what=what, due_on=due_on, created_by=by
    )
    record(
        "careplans.action.saved",
        actor=by,
        patient=patient,
        acting_for=patient if by.role == Role.FAMILY else None,
        obj=item,
        detail={"who": who, "due_on": due_on.isoformat() if due_on else None},
    )
    return item


def set_action_done(
    item: ActionItem, *, by: User, done: bool = True, now: dt.datetime | None = None
) -> ActionItem:
    """Mark an action item done (or, to undo a slip, not done)."""
    if not may_plan_actions(by, item.patient):
        raise PermissionDenied("Only the patient, their parent or their team plan actions.")
    item.done_at = (now or clock.now()) if done else None
    item.save(update_fields=["done_at"])
    record(
        "careplans.action.done",
        actor=by,
        patient=item.patient,
        acting_for=item.patient if by.role == Role.FAMILY else None,
        obj=item,
        detail={"done": done},
    )
    return item


# --- Progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """The latest score of a goal's measure against its target."""

    score: Decimal | None
    at: dt.datetime | None
    met: bool | None

    @property
    def label(self) -> str:
        if self.score is None:
            return "no score yet"
        return "target met" if self.met else "not at target yet"


_COMPARE = {
    Comparator.LE: lambda a, b: a <= b,
    Comparator.LT: lambda a, b: a < b,
    Comparator.GE: lambda a, b: a >= b,
    Comparator.GT: lambda a, b: a > b,
}


def latest_scores(patient: Patient, instrument_ids: Iterable[str]) -> dict[str, Score]:
    """The latest complete score per instrument, in one query."""
    ids = sorted(set(instrument_ids))
    if not ids:
        return {}
    rows = (
        Score.objects.filter(
            patient=patient, instrument_id__in=ids, score__isnull=False, complete=True
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("instrument_id")],
                order_by=[F("at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .only("instrument_id", "score", "at")
    )
    return {row.instrument_id: row for row in rows}


def progress(goal: Goal, scores: dict[str, Score]) -> Progress | None:
    """Where a measured goal stands (None when the goal has no measure)."""
    if not goal.instrument_id or goal.target_value is None or not goal.comparator:
        return None
    latest = scores.get(goal.instrument_id)
    if latest is None or latest.score is None:
        return Progress(None, None, None)
    value = Decimal(str(latest.score))
    met = _COMPARE[Comparator(goal.comparator)](value, goal.target_value)
    return Progress(value, latest.at, met)
