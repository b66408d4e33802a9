"""What the FHIR server offers: each resource type, its interactions and search parameters.

The routes (`fhir_api`) and the CapabilityStatement (`/metadata`) are both generated from
`RESOURCES`, so what the statement lists is exactly what answers.
"""

from __future__ import annotations

from coproduce.interop.fhir_appointments import read_appointment, search_appointments
from coproduce.interop.fhir_resources.care_plan import read_care_plan, search_care_plans
from coproduce.interop.fhir_resources.goal import read_goal, search_goals
from coproduce.interop.fhir_resources.medication_statement import (
    read_medication_statement,
    search_medication_statements,
)
from coproduce.interop.fhir_resources.observation import read_observation, search_observations
from coproduce.interop.fhir_resources.patient import read_patient, search_patients
from coproduce.interop.fhir_resources.questionnaire import (
    read_questionnaire,
    read_questionnaire_response,
    search_questionnaire_responses,
    search_questionnaires,
)
from coproduce.interop.fhir_search import SPEC, ResourceType, SearchParam

# Each parameter names the R4 SearchParameter it implements (hl7.org/fhir/R4, the search
# page of each resource): `patient` is the shared clinical-patient on Observation, Goal,
# CarePlan and MedicationStatement, but QuestionnaireResponse and Appointment define their own;
# each type has its own `subject`, except Appointment, which has none in R4 (coproduce takes
# it there as an alias of patient, so it names no definition).
_PATIENT_DEFINITION = {
    "QuestionnaireResponse": "QuestionnaireResponse-patient",
    "Appointment": "Appointment-patient",
}


def _patient(resource: str) -> SearchParam:
    return SearchParam(
        "patient",
        "reference",
        "The patient (registry ID, or Patient/ID); required.",
        SPEC + _PATIENT_DEFINITION.get(resource, "clinical-patient"),
    )


def _subject(resource: str) -> SearchParam:
    return SearchParam(
        "subject",
        "reference",
        "Same as patient, as Patient/ID (not with patient).",
        "" if resource == "Appointment" else f"{SPEC}{resource}-subject",
    )


def _patient_and_subject(resource: str) -> tuple[SearchParam, SearchParam]:
    return _patient(resource), _subject(resource)


_LAST_UPDATED = SearchParam(
    "_lastUpdated",
    "date",
    "When the record was last changed, as in meta.lastUpdated (prefixes eq, ne, lt, le, gt, ge).",
    SPEC + "Resource-lastUpdated",
)


def _status(documentation: str, definition: str) -> SearchParam:
    return SearchParam("status", "token", documentation, SPEC + definition)


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        "Patient",
        read_patient,
        search_patients,
        params=(
            SearchParam(
                "identifier",
                "token",
                "The registry ID (system https://coproduce.org/fhir/sid/registry-id) or the "
                "MRN (system https://coproduce.org/fhir/sid/mrn/SITE, SITE the site's slug); "
                "a bare value matches either; A,B finds either.",
                SPEC + "Patient-identifier",
            ),
            SearchParam("_id", "token", "The registry ID.", SPEC + "Resource-id"),
            _LAST_UPDATED,
        ),
        documentation="The patients the caller may see; the id is the registry ID.",
    ),
    ResourceType(
        "Questionnaire",
        read_questionnaire,
        search_questionnaires,
        read_params=("version",),
        params=(
            SearchParam(
                "url",
                "uri",
                "The canonical URL, optionally with |version.",
                SPEC + "Questionnaire-url",
            ),
        ),
        documentation="Every shipped and imported instrument (read takes ?version=).",
    ),
    ResourceType(
        "QuestionnaireResponse",
        read_questionnaire_response,
        search_questionnaire_responses,
        create=True,
        params=(
            *_patient_and_subject("QuestionnaireResponse"),
            SearchParam(
                "authored",
                "date",
                "When the check-in was submitted.",
                SPEC + "QuestionnaireResponse-authored",
            ),
            _LAST_UPDATED,
            SearchParam(
                "questionnaire",
                "reference",
                "The instrument's canonical URL (or Questionnaire/ID).",
                SPEC + "QuestionnaireResponse-questionnaire",
            ),
        ),
        documentation="One per instrument answered in a check-in; create stores a check-in.",
    ),
    ResourceType(
        "Observation",
        read_observation,
        search_observations,
        params=(
            *_patient_and_subject("Observation"),
            SearchParam(
                "code",
                "token",
                "LOINC total-score code where the instrument has one, or "
                "https://coproduce.org/fhir/CodeSystem/instrument|ID.",
                SPEC + "clinical-code",
            ),
            SearchParam("date", "date", "When the score was given.", SPEC + "clinical-date"),
            _LAST_UPDATED,
        ),
        documentation="Each score, with its band as the interpretation.",
    ),
    ResourceType(
        "Goal",
        read_goal,
        search_goals,
        params=(
            *_patient_and_subject("Goal"),
            SearchParam(
                "lifecycle-status",
                "token",
                "active, completed or cancelled.",
                SPEC + "Goal-lifecycle-status",
            ),
            _LAST_UPDATED,
        ),
        documentation="Goals in the patient's words and clinical targets.",
    ),
    ResourceType(
        "CarePlan",
        read_care_plan,
        search_care_plans,
        params=(
            *_patient_and_subject("CarePlan"),
            _status("active, on-hold, revoked or completed.", "CarePlan-status"),
            _LAST_UPDATED,
        ),
        documentation="The patient's shared plan (goals in their words, clinical targets, "
        "actions) and each opioid taper plan (part of it), one activity per step.",
    ),
    ResourceType(
        "MedicationStatement",
        read_medication_statement,
        search_medication_statements,
        params=(
            *_patient_and_subject("MedicationStatement"),
            _status("active or completed.", "medications-status"),
            _LAST_UPDATED,
        ),
        documentation="Medication lines; opioids carry their daily MME as an extension.",
    ),
    ResourceType(
        "Appointment",
        read_appointment,
        search_appointments,
        create=True,
        update=True,
        params=(
            *_patient_and_subject("Appointment"),
            _status(
                "booked, fulfilled, cancelled or noshow (comma-separated).", "Appointment-status"
            ),
            SearchParam("date", "date", "When the appointment starts.", SPEC + "Appointment-date"),
            _LAST_UPDATED,
        ),
        documentation="Appointments from the clinic's scheduling system (system/Appointment."
        "write): create, or update by the system's own id (PUT /Appointment/ID); each one "
        "plans its pre-visit check-in. The id is the scheduling system's id.",
    ),
)
