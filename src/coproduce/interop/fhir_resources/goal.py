"""FHIR Goal: goals in the patient's own words and the team's clinical targets."""

from __future__ import annotations

from typing import Any

from coproduce.careplans.models import Goal, GoalStatus
from coproduce.interop.fhir_resources.access import (
    Caller,
    by_status,
    meta,
    number,
    read_row,
    rows_of,
    subject,
)
from coproduce.interop.fhir_resources.observation import instrument_code
from coproduce.interop.fhir_search import Page, Query, last_updated

GOAL_KIND_SYSTEM = "https://coproduce.org/fhir/CodeSystem/goal-kind"

_GOAL_STATUS = {
    GoalStatus.ACTIVE: "active",
    GoalStatus.ACHIEVED: "completed",
    GoalStatus.SET_ASIDE: "cancelled",
}


def goal_resource(goal: Goal) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(goal.pk),
        "meta": meta(goal.updated_at),
        "lifecycleStatus": _GOAL_STATUS.get(GoalStatus(goal.status), "active"),
        "category": [{"coding": [{"system": GOAL_KIND_SYSTEM, "code": goal.kind}]}],
        "description": {"text": goal.text},
        "subject": subject(goal.patient),
        "startDate": goal.created_at.date().isoformat(),
    }
    if goal.status == GoalStatus.ACHIEVED:
        resource["achievementStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": "achieved",
                }
            ]
        }
    if goal.instrument_id and goal.target_value is not None:
        quantity: dict[str, Any] = {
            "value": number(goal.target_value),
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
        if goal.comparator:
            quantity["comparator"] = goal.comparator
        resource["target"] = [
            {"measure": instrument_code(goal.instrument_id), "detailQuantity": quantity}
        ]
    return resource


def read_goal(caller: Caller, resource_id: str) -> dict[str, Any]:
    return goal_resource(read_row(caller, Goal, resource_id, "Goal"))


def search_goals(caller: Caller, query: Query) -> Page:
    goals = by_status(rows_of(caller, query, Goal), query, "lifecycle-status", _GOAL_STATUS)
    goals = last_updated(goals, query)
    return query.window(goals.order_by("-created_at", "-pk"), goal_resource)
