"""FHIR Patient: the patients the caller may see; the id is the registry ID."""

from __future__ import annotations

from typing import Any

from coproduce.audit.services import record
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM
from coproduce.interop.fhir_resources.access import Caller, meta, read_patient_of
from coproduce.interop.fhir_search import Page, Query, last_updated, tokens
from coproduce.people.access import patients_visible_to
from coproduce.people.models import Patient


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
    return patient_resource(read_patient_of(caller, resource_id, "Patient"))


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
