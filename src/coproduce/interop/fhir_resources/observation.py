"""FHIR Observation: each score, with its instrument's LOINC code where it has one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from coproduce.checkins.models import Score
from coproduce.instruments.definitions import Definition
from coproduce.instruments.library import UnknownInstrument, get_definition, list_definitions
from coproduce.instruments.scoring import own_total
from coproduce.interop import fhir
from coproduce.interop.fhir_resources.access import Caller, meta, number, read_row, rows_of, subject
from coproduce.interop.fhir_search import Page, Query, date_filter, last_updated, tokens

LOINC = "http://loinc.org"
INSTRUMENT_SYSTEM = "https://coproduce.org/fhir/CodeSystem/instrument"
BAND_SYSTEM = "https://coproduce.org/fhir/CodeSystem/band"
# PHQ-9's and GAD-7's shipped forms code only their items and answers, not the total: these
# are the total-score codes of HL7's Personal Health Record IG value set
# "observation-scored-assessment-score-codes" (44261-6 PHQ-9 total score [Reported];
# 70274-6 GAD-7 total score [Reported.PHQ]). Every other code comes from the definition.
KNOWN_TOTAL_LOINC = {
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


def _item_codings(items: Any, link_id: str) -> list[dict[str, Any]]:
    for raw in items or ():
        if raw.get("linkId") == link_id:
            return list(raw.get("code") or ())
        found = _item_codings(raw.get("item"), link_id)
        if found:
            return found
    return []


def _score_item(definition: Definition) -> str | None:
    """The item whose answer is the score: an imported form's own total item, or the one
    numeric question of a one-question scale (pain-nrs: "the score is the answer")."""
    if definition.kind == "imported":
        total = own_total(definition)
        return total.link_id if total is not None else None
    numeric = [i for i in definition.items if i.type in ("integer", "decimal")]
    return numeric[0].link_id if len(definition.items) == len(numeric) == 1 else None


def score_loinc(instrument_id: str, version: str | None = None) -> tuple[str, str] | None:
    """The LOINC code (and display, if given) of the instrument's score, where it has one:
    the LOINC code the definition gives its score item (pain-nrs: 72514-3, "Pain severity -
    0-10 verbal numeric rating [Score] - Reported"), else PHQ-9's and GAD-7's known ones."""
    try:
        definition = get_definition(instrument_id, version)
    except UnknownInstrument:
        return KNOWN_TOTAL_LOINC.get(instrument_id)
    link_id = _score_item(definition)
    if link_id is not None:
        items = definition.questionnaire.get("item")
        for coding in _item_codings(items, link_id):
            if coding.get("system") == LOINC and coding.get("code"):
                return str(coding["code"]), str(coding.get("display") or "")
    return KNOWN_TOTAL_LOINC.get(instrument_id)


def instrument_code(
    instrument_id: str, title: str = "", version: str | None = None
) -> dict[str, Any]:
    coding = []
    loinc = score_loinc(instrument_id, version)
    if loinc is not None:
        code, display = loinc
        coding.append({"system": LOINC, "code": code, **({"display": display} if display else {})})
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
        "code": instrument_code(
            score.instrument_id, _title(score.instrument_id, score.version), score.version
        ),
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
                instruments |= {
                    d.id
                    for d in list_definitions()
                    if (score_loinc(d.id, d.version) or ("", ""))[0] == code
                }
            if system in (None, INSTRUMENT_SYSTEM):
                instruments.add(code)
        scores = scores.filter(instrument_id__in=instruments)
    scores = date_filter(scores, "at", "date", query.get("date"))
    scores = last_updated(scores, query, "at")
    return query.window(scores.order_by("-at", "-pk"), observation_resource)
