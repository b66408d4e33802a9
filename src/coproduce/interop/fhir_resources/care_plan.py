"""FHIR CarePlan: the patient's shared plan (goals, actions) and each opioid taper plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from coproduce.careplans.models import ActionItem, Goal, PlanStatus, StepStatus, TaperPlan
from coproduce.instruments.definitions import NS
from coproduce.interop.fhir_resources.access import (
    Caller,
    by_status,
    meta,
    number,
    read_patient_of,
    read_row,
    searched_patient,
    subject,
)
from coproduce.interop.fhir_search import Page, Query, date_matches, last_updated, tokens
from coproduce.people.models import Patient

TARGET_MME_URL = NS + "target-mme"
SHARED_PLAN_PREFIX = "shared-"
_ACTION_STATUS = {True: "completed", False: "not-started"}

_PLAN_STATUS = {
    PlanStatus.ACTIVE: "active",
    PlanStatus.PAUSED: "on-hold",
    PlanStatus.STOPPED: "revoked",
    PlanStatus.COMPLETED: "completed",
}
_STEP_STATUS = {
    StepStatus.PLANNED: "scheduled",
    StepStatus.DONE: "completed",
    StepStatus.HELD: "on-hold",
    StepStatus.SLOWED: "cancelled",
    StepStatus.STEPPED_BACK: "stopped",
}


def _mme(value: Decimal) -> dict[str, Any]:
    return {"url": TARGET_MME_URL, "valueDecimal": number(value)}


def shared_plan_id(patient: Patient) -> str:
    return SHARED_PLAN_PREFIX + patient.registry_id


def shared_plan_resource(
    patient: Patient, goals: list[Goal], actions: list[ActionItem], updated: dt.datetime
) -> dict[str, Any]:
    """The patient's shared plan: their goals (own words, clinical targets) and actions."""
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": shared_plan_id(patient),
        "meta": meta(updated),
        "status": "active",
        "intent": "plan",
        "title": _("Shared care plan"),
        "description": _(
            "The goals in the patient's own words and the clinical targets agreed with the "
            "care team, and who does what by when."
        ),
        "subject": subject(patient),
        "goal": [{"reference": f"Goal/{g.pk}", "display": g.text} for g in goals],
        "activity": [
            {
                "detail": {
                    "status": _ACTION_STATUS[a.done_at is not None],
                    "description": a.what,
                    "performer": [{"display": a.get_who_display()}],
                    **({"scheduledPeriod": {"end": a.due_on.isoformat()}} if a.due_on else {}),
                }
            }
            for a in actions
        ],
    }
    return {k: v for k, v in resource.items() if v != []}


def _shared_plan_of(patient: Patient, updated: Sequence[str] = ()) -> dict[str, Any] | None:
    """The shared plan; None when the patient has no goal, action or taper plan yet, or when
    it was last changed outside the `_lastUpdated` values given.

    It holds the goals and actions, so it changed when the last of them did; a patient with
    only taper plans has had it, unchanged, since the first of those.
    """
    goals = list(patient.goals.order_by("created_at", "pk"))
    actions = list(patient.action_items.order_by("created_at", "pk"))
    changes = [row.updated_at for row in (*goals, *actions)]
    if not changes:
        first_plan = patient.taper_plans.order_by("created_at").first()
        if first_plan is None:
            return None
        changes.append(first_plan.created_at)
    if not date_matches(max(changes), "_lastUpdated", updated):
        return None
    return shared_plan_resource(patient, goals, actions, max(changes))


def care_plan_resource(plan: TaperPlan) -> dict[str, Any]:
    pace = plan.pace
    description = _("Opioid taper from %(start)s MME/day toward %(target)s MME/day, %(pace)s.") % {
        "start": number(plan.start_mme),
        "target": number(plan.target_mme),
        "pace": pace.label,
    }
    return {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": meta(plan.updated_at),
        "status": _PLAN_STATUS.get(PlanStatus(plan.status), "unknown"),
        "intent": "plan",
        "title": _("Opioid taper"),
        "description": description,
        "subject": subject(plan.patient),
        "partOf": [{"reference": f"CarePlan/{shared_plan_id(plan.patient)}"}],
        "period": {"start": plan.start_on.isoformat()},
        "created": plan.created_at.isoformat(),
        "extension": [_mme(plan.target_mme)],
        "activity": [
            {
                "detail": {
                    "extension": [_mme(step.target_mme)],
                    "status": _STEP_STATUS.get(StepStatus(step.status), "unknown"),
                    "description": _("Step %(number)s: %(mme)s MME/day")
                    % {"number": step.number, "mme": number(step.target_mme)},
                    "scheduledPeriod": {"start": step.due_on.isoformat()},
                }
            }
            for step in plan.steps.all()
        ],
    }


def read_care_plan(caller: Caller, resource_id: str) -> dict[str, Any]:
    if resource_id.startswith(SHARED_PLAN_PREFIX):
        patient = read_patient_of(caller, resource_id.removeprefix(SHARED_PLAN_PREFIX), "CarePlan")
        shared = _shared_plan_of(patient)
        if shared is None:
            raise Http404
        return shared
    return care_plan_resource(read_row(caller, TaperPlan, resource_id, "CarePlan"))


def search_care_plans(caller: Caller, query: Query) -> Page:
    """The shared plan (always active) first, then the taper plans, newest first."""
    patient = searched_patient(caller, query)
    plans = by_status(
        TaperPlan.objects.filter(patient=patient).select_related("patient"),
        query,
        "status",
        _PLAN_STATUS,
    )
    plans = last_updated(plans, query).prefetch_related("steps").order_by("-start_on", "-pk")
    wanted = {code for _s, code in tokens(query.get("status"))}
    shared = (
        _shared_plan_of(patient, query.get("_lastUpdated"))
        if not wanted or "active" in wanted
        else None
    )
    found = [shared] if shared is not None else []
    found += [care_plan_resource(plan) for plan in plans]
    return query.window_list(found, lambda resource: resource)
