"""FHIR R4 resources made from coproduce records, and how each type is read and searched.

Every read of a patient's data goes through `people.access` (`get_patient_for`, which
audits it, or `patients_visible_to`), so a system using a token sees exactly what its staff
user sees. Resource ids: Patient = registry ID; Observation = the score's id; Goal,
CarePlan (a taper plan) and MedicationStatement = the row's id; QuestionnaireResponse =
`{check-in id}-{instrument id}` as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.careplans.mme import MMEError, daily_mme
from coproduce.careplans.models import (
    ActionItem,
    Goal,
    GoalStatus,
    Medication,
    PlanStatus,
    StepStatus,
    TaperPlan,
)
from coproduce.checkins.models import CheckinResponse, Score
from coproduce.instruments.definitions import NS
from coproduce.instruments.library import UnknownInstrument, get_definition, list_definitions
from coproduce.interop import fhir
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM, FhirInvalid, issue
from coproduce.interop.fhir_search import (
    Page,
    Query,
    date_filter,
    date_matches,
    last_updated,
    reference_id,
    tokens,
)
from coproduce.people.access import get_patient_for, patients_visible_to
from coproduce.people.models import Patient, User
from coproduce.platform import clock

LOINC = "http://loinc.org"
INSTRUMENT_SYSTEM = "https://coproduce.org/fhir/CodeSystem/instrument"
BAND_SYSTEM = "https://coproduce.org/fhir/CodeSystem/band"
GOAL_KIND_SYSTEM = "https://coproduce.org/fhir/CodeSystem/goal-kind"
MME_URL = NS + "mme"
TARGET_MME_URL = NS + "target-mme"
# Total-score LOINC codes, as listed in HL7's Personal Health Record IG value set
# "observation-scored-assessment-score-codes" (44261-6 PHQ-9 total score [Reported];
# 70274-6 GAD-7 total score [Reported.PHQ]). Instruments without a LOINC total-score code
# are coded in coproduce's own instrument code system only.
TOTAL_SCORE_LOINC = {
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


@dataclass
class Caller:
    """Who asks: a logged-in user, or a system acting as its staff user."""

    user: User
    client: str = ""

    def detail(self, page: str, resource: str) -> dict[str, str]:
        found = {"page": page, "resource": resource}
        if self.client:
            found["client"] = self.client
        return found


def subject(patient: Patient) -> dict[str, Any]:
    # An identifier, never a reference to a database key (see docs/api.md).
    return {"identifier": {"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}}


def meta(updated: dt.datetime) -> dict[str, str]:
    """The resource's `meta`: when its record last changed (what _lastUpdated searches)."""
    return {"lastUpdated": updated.isoformat()}


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _searched_patient(caller: Caller, query: Query) -> Patient:
    given = query.get("patient") + query.get("subject")
    if len(given) != 1:
        raise FhirInvalid(
            [issue(_("Give the patient (patient=registry ID or subject=Patient/ID), once."))]
        )
    name = "patient" if query.get("patient") else "subject"
    registry_id = reference_id(name, given[0])
    return get_patient_for(
        caller.user, registry_id, detail=caller.detail("fhir search", query.resource.name)
    )


def _read_patient_of(caller: Caller, patient_registry_id: str, resource: str) -> Patient:
    return get_patient_for(
        caller.user, patient_registry_id, detail=caller.detail("fhir read", resource)
    )


def _pk(resource_id: str) -> int:
    if not resource_id.isdigit():
        raise Http404
    return int(resource_id)


def _read_row(caller: Caller, model: type[Any], resource_id: str, resource: str) -> Any:
    """The row with this id if its patient is visible to the caller (audited), else 404."""
    row = model.objects.select_related("patient").filter(pk=_pk(resource_id)).first()
    if row is None:
        raise Http404
    _read_patient_of(caller, row.patient.registry_id, resource)
    return row


def _rows_of(caller: Caller, query: Query, model: type[Any]) -> QuerySet:
    return model.objects.filter(patient=_searched_patient(caller, query)).select_related("patient")


def _by_status(rows: QuerySet, query: Query, name: str, codes: dict[Any, str]) -> QuerySet:
    """Filter by a token parameter whose FHIR codes map from our status values."""
    wanted = {code for _s, code in tokens(query.get(name))}
    if not wanted:
        return rows
    return rows.filter(status__in=[ours for ours, code in codes.items() if code in wanted])


# Patient -----------------------------------------------------------------------------------


def patient_resource(patient: Patient) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient.registry_id,
        "meta": meta(patient.updated_at),
        "identifier": [{"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}],
        "active": True,
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": patient.preferred_language}]
                }
            }
        ],
        "managingOrganization": {"display": patient.care_team.site.name},
    }


def read_patient(caller: Caller, resource_id: str) -> dict[str, Any]:
    return patient_resource(_read_patient_of(caller, resource_id, "Patient"))


def search_patients(caller: Caller, query: Query) -> Page:
    patients = patients_visible_to(caller.user).select_related("care_team__site")
    for system, value in tokens(query.get("identifier")):
        if system not in (None, REGISTRY_ID_SYSTEM):
            patients = patients.none()
        patients = patients.filter(registry_id=value)
    for value in query.get("_id"):
        patients = patients.filter(registry_id__in=value.split(","))
    patients = last_updated(patients, query)
    page = query.window(patients.order_by("registry_id"), patient_resource)
    if page.resources:
        record(
            "patient.listed",
            actor=caller.user,
            detail={
                **caller.detail("fhir search", "Patient"),
                "registry_ids": [r["id"] for r in page.resources],
            },
        )
    return page


# Questionnaire -----------------------------------------------------------------------------


def read_questionnaire(caller: Caller, resource_id: str, version: str | None = None) -> dict:
    try:
        definition = get_definition(fhir.instrument_id_of(resource_id), version)
    except UnknownInstrument:
        raise Http404 from None
    return fhir.questionnaire_json(definition)


def search_questionnaires(caller: Caller, query: Query) -> Page:
    found = list_definitions()
    for value in query.get("url"):
        url, _sep, version = value.partition("|")
        found = [
            d
            for d in found
            if fhir.canonical_url(d) == url and (not version or d.version == version)
        ]
    return query.window_list(found, fhir.questionnaire_json)


# QuestionnaireResponse ---------------------------------------------------------------------


def read_questionnaire_response(caller: Caller, resource_id: str) -> dict[str, Any]:
    pk, _sep, tail = resource_id.partition("-")
    response = (
        CheckinResponse.objects.select_related("patient", "system_submission__client")
        .filter(pk=_pk(pk))
        .first()
        if pk.isdigit()
        else None
    )
    instrument_id = fhir.instrument_in(response, tail) if response is not None else None
    if response is None or instrument_id is None:
        raise Http404
    _read_patient_of(caller, response.patient.registry_id, "QuestionnaireResponse")
    score = response.scores.filter(instrument_id=instrument_id).first()
    return fhir.questionnaire_response(response, instrument_id, score)


def search_questionnaire_responses(caller: Caller, query: Query) -> Page:
    patient = _searched_patient(caller, query)
    responses = patient.checkin_responses.all()
    responses = date_filter(responses, "submitted_at", "authored", query.get("authored"))
    responses = last_updated(responses, query, "submitted_at")
    wanted = _instruments_of_questionnaires(query.get("questionnaire"))
    # One resource per instrument in each check-in: page over those, newest check-in first.
    keys = [
        (pk, instrument_id)
        for pk, versions in responses.order_by("-submitted_at", "-pk").values_list("pk", "versions")
        for instrument_id in versions
        if wanted is None or instrument_id in wanted
    ]
    chosen = keys[query.offset : query.offset + query.count] if query.count else []
    rows = {
        r.pk: r
        for r in CheckinResponse.objects.filter(pk__in={pk for pk, _i in chosen})
        .select_related("patient", "system_submission__client")
        .prefetch_related("scores")
    }
    resources = []
    for pk, instrument_id in chosen:
        row = rows[pk]
        score = next((s for s in row.scores.all() if s.instrument_id == instrument_id), None)
        resources.append(fhir.questionnaire_response(row, instrument_id, score))
    return Page(len(keys), resources)


def _instruments_of_questionnaires(values: list[str]) -> set[str] | None:
    if not values:
        return None
    found: set[str] = set()
    for value in values:
        for part in value.split(","):
            url = part.partition("|")[0]
            found |= {
                d.id
                for d in list_definitions()
                if url in (fhir.canonical_url(d), f"Questionnaire/{fhir.fhir_id(d.id)}")
            }
    return found


# Observation -------------------------------------------------------------------------------


def instrument_code(instrument_id: str, title: str = "") -> dict[str, Any]:
    coding = []
    if instrument_id in TOTAL_SCORE_LOINC:
        code, display = TOTAL_SCORE_LOINC[instrument_id]
        coding.append({"system": LOINC, "code": code, "display": display})
    coding.append({"system": INSTRUMENT_SYSTEM, "code": instrument_id})
    return {"coding": coding, "text": title or instrument_id}


def _title(instrument_id: str, version: str) -> str:
    try:
        return get_definition(instrument_id, version).title
    except UnknownInstrument:
        return instrument_id


def observation_resource(score: Score) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(score.pk),
        "meta": meta(score.at),
        "status": "final",
        "category": [SURVEY],
        "code": instrument_code(score.instrument_id, _title(score.instrument_id, score.version)),
        "subject": subject(score.patient),
        "effectiveDateTime": score.at.isoformat(),
        "issued": score.at.isoformat(),
        "derivedFrom": [
            {
                "reference": "QuestionnaireResponse/"
                + fhir.resource_id(score.response_id, score.instrument_id)
            }
        ],
    }
    if score.score is not None:
        obs["valueQuantity"] = {
            "value": _number(score.score),
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
    else:
        obs["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ],
            "text": score.reason or _("No score could be given."),
        }
    if score.band:
        obs["interpretation"] = [
            {
                "coding": [{"system": BAND_SYSTEM, "code": score.band}],
                "text": score.band.replace("_", " "),
            }
        ]
    return obs


def read_observation(caller: Caller, resource_id: str) -> dict[str, Any]:
    return observation_resource(_read_row(caller, Score, resource_id, "Observation"))


def search_observations(caller: Caller, query: Query) -> Page:
    scores = _rows_of(caller, query, Score)
    wanted = query.get("code")
    if wanted:
        instruments: set[str] = set()
        for system, code in tokens(wanted):
            if system in (None, LOINC):
                instruments |= {i for i, (c, _d) in TOTAL_SCORE_LOINC.items() if c == code}
            if system in (None, INSTRUMENT_SYSTEM):
                instruments.add(code)
        scores = scores.filter(instrument_id__in=instruments)
    scores = date_filter(scores, "at", "date", query.get("date"))
    scores = last_updated(scores, query, "at")
    return query.window(scores.order_by("-at", "-pk"), observation_resource)


# Goal --------------------------------------------------------------------------------------

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
            "value": _number(goal.target_value),
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
    return goal_resource(_read_row(caller, Goal, resource_id, "Goal"))


def search_goals(caller: Caller, query: Query) -> Page:
    goals = _by_status(_rows_of(caller, query, Goal), query, "lifecycle-status", _GOAL_STATUS)
    goals = last_updated(goals, query)
    return query.window(goals.order_by("-created_at", "-pk"), goal_resource)


# CarePlan (the shared plan and each taper plan) --------------------------------------------

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
    return {"url": TARGET_MME_URL, "valueDecimal": _number(value)}


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
        "start": _number(plan.start_mme),
        "target": _number(plan.target_mme),
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
                    % {"number": step.number, "mme": _number(step.target_mme)},
                    "scheduledPeriod": {"start": step.due_on.isoformat()},
                }
            }
            for step in plan.steps.all()
        ],
    }


def read_care_plan(caller: Caller, resource_id: str) -> dict[str, Any]:
    if resource_id.startswith(SHARED_PLAN_PREFIX):
        patient = _read_patient_of(caller, resource_id.removeprefix(SHARED_PLAN_PREFIX), "CarePlan")
        shared = _shared_plan_of(patient)
        if shared is None:
            raise Http404
        return shared
    return care_plan_resource(_read_row(caller, TaperPlan, resource_id, "CarePlan"))


def search_care_plans(caller: Caller, query: Query) -> Page:
    """The shared plan (always active) first, then the taper plans, newest first."""
    patient = _searched_patient(caller, query)
    plans = _by_status(
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


# MedicationStatement -----------------------------------------------------------------------


def _medication_status(medication: Medication) -> str:
    return "active" if medication.active_on(clock.today()) else "completed"


def mme_extension(medication: Medication) -> dict[str, Any] | None:
    """The line's daily MME, factor and table (none for other pain medicines)."""
    if not medication.is_opioid:
        return None
    try:
        line = daily_mme(
            medication.drug,
            medication.strength,
            medication.unit,
            medication.per_day,
            table=medication.factor_table,
        )
    except MMEError as exc:
        return {"url": MME_URL, "extension": [{"url": "note", "valueString": str(exc)}]}
    parts: list[dict[str, Any]] = []
    if line.mme is not None:
        parts.append({"url": "dailyMme", "valueDecimal": _number(line.mme)})
        parts.append({"url": "factor", "valueDecimal": _number(line.factor or 0)})
    if line.note:
        parts.append({"url": "note", "valueString": line.note})
    parts.append({"url": "factorTable", "valueString": medication.factor_table})
    return {"url": MME_URL, "extension": parts}


def medication_statement_resource(medication: Medication) -> dict[str, Any]:
    dose = f"{medication.strength.normalize():f} {medication.unit}"
    if medication.per_day is not None:
        dose += _(", %(n)s times a day") % {"n": f"{medication.per_day.normalize():f}"}
    period = {"start": medication.started_on.isoformat()}
    if medication.stopped_on:
        period["end"] = medication.stopped_on.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.pk),
        "meta": meta(medication.updated_at),
        "status": _medication_status(medication),
        "medicationCodeableConcept": {"text": medication.drug},
        "subject": subject(medication.patient),
        "effectivePeriod": period,
        "dateAsserted": medication.created_at.isoformat(),
        "dosage": [{"text": dose}],
    }
    extension = mme_extension(medication)
    if extension is not None:
        resource["extension"] = [extension]
    return resource


def read_medication_statement(caller: Caller, resource_id: str) -> dict[str, Any]:
    medication = _read_row(caller, Medication, resource_id, "MedicationStatement")
    return medication_statement_resource(medication)


def search_medication_statements(caller: Caller, query: Query) -> Page:
    medications = last_updated(_rows_of(caller, query, Medication), query)
    wanted = {code for _s, code in tokens(query.get("status"))}
    ordered = medications.order_by("-started_on", "-pk")
    if wanted:
        return query.window_list(
            [m for m in ordered if _medication_status(m) in wanted], medication_statement_resource
        )
    return query.window(ordered, medication_statement_resource)
