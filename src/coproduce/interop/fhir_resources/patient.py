"""FHIR Patient: the patients the caller may see; the id is the registry ID."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from coproduce.audit.services import record
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM
from coproduce.interop.fhir_resources.access import Caller, meta, read_patient_of
from coproduce.interop.fhir_search import Page, Query, last_updated, tokens
from coproduce.people.access import patients_visible_to
from coproduce.people.models import Patient

# A medical record number is unique only within its site (Patient.mrn_site), so each site is
# its own identifier system, named by the site's slug (stable, and not a database key).
MRN_SYSTEM = "https://coproduce.org/fhir/sid/mrn/"
MRN_TYPE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
    "text": "Medical record number",
}


def mrn_system(site_slug: str) -> str:
    return MRN_SYSTEM + site_slug


def identifiers(patient: Patient) -> list[dict[str, Any]]:
    """The registry ID, and the MRN (in its site's system) where one is recorded."""
    found: list[dict[str, Any]] = [{"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}]
    if patient.mrn and patient.mrn_site is not None:
        found.append(
            {
                "use": "usual",
                "type": MRN_TYPE,
                "system": mrn_system(patient.mrn_site.slug),
                "value": patient.mrn,
            }
        )
    return found


def _identifier_q(system: str | None, value: str) -> Q:
    """The patients one `identifier` token names (no system: any of theirs)."""
    if system is None:
        return Q(registry_id=value) | (Q(mrn=value) & ~Q(mrn=""))
    if system == REGISTRY_ID_SYSTEM:
        return Q(registry_id=value)
    if system.startswith(MRN_SYSTEM) and value:
        return Q(mrn=value, mrn_site__slug=system.removeprefix(MRN_SYSTEM))
    return Q(pk__in=[])


def patient_resource(patient: Patient) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient.registry_id,
        "meta": meta(patient.updated_at),
        "identifier": identifiers(patient),
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
    patients = patients_visible_to(caller.user).select_related("care_team__site", "mrn_site")
    # Within one value, commas are OR (identifier=A,B); repeated parameters are AND.
    for text in query.get("identifier"):
        either = Q(pk__in=[])
        for system, value in tokens([text]):
            either |= _identifier_q(system, value)
        patients = patients.filter(either)
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
