"""FHIR Observation: each score, with its instrument's LOINC code where it has one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from coproduce.checkins.models import Score
from coproduce.instruments.library import UnknownInstrument, get_definition
from coproduce.interop import fhir
from coproduce.interop.fhir_resources.access import Caller, meta, number, read_row, rows_of, subject
from coproduce.interop.fhir_search import Page, Query, date_filter, last_updated, tokens

LOINC = "http://loinc.org"
INSTRUMENT_SYSTEM = "https://coproduce.org/fhir/CodeSystem/instrument"
BAND_SYSTEM = "https://coproduce.org/fhir/CodeSystem/band"
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
            "value": number(score.score),
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
    return observation_resource(read_row(caller, Score, resource_id, "Observation"))


def search_observations(caller: Caller, query: Query) -> Page:
    scores = rows_of(caller, query, Score)
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
