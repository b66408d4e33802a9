"""FHIR R4 resources built from and read into coproduce data (no HTTP here).

Questionnaires are the shipped JSON; QuestionnaireResponses are built from stored
``CheckinResponse`` rows (one per instrument answered) and read back into the
``{linkId: value}`` answers that ``submit_checkin`` takes. Structure is validated with the
``fhir.resources`` R4B models (R4 content validates with them); those models do not enforce
required code bindings, so status and the subject are checked here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
from django.core.exceptions import ObjectDoesNotExist
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.instruments.definitions import NS, Definition
from coproduce.instruments.importer import r4b_readable
from coproduce.instruments.library import get_definition, list_definitions
from coproduce.platform.text import clean_data

# The identifier system of registry IDs. The database primary key never leaves the system.
REGISTRY_ID_SYSTEM = "https://coproduce.org/fhir/sid/registry-id"
# A registered system (interop ApiClient) by its client_id, as a QuestionnaireResponse author.
API_CLIENT_SYSTEM = "https://coproduce.org/fhir/sid/api-client"
# A complex extension on each exported QuestionnaireResponse carrying coproduce's score.
SCORE_URL = NS + "score"
# Only on the answer to a POST: what the patient must be shown at once.
PATIENT_MESSAGE_URL = NS + "patient-message"
CRISIS_RESOURCES_URL = NS + "crisis-resources"
ACCEPTED_STATUSES = ("completed", "amended")

_VALUE_KEYS = {
    "integer": "valueInteger",
    "decimal": "valueDecimal",
    "boolean": "valueBoolean",
    "date": "valueDate",
    "dateTime": "valueDateTime",
    "time": "valueTime",
    "url": "valueUri",
    "string": "valueString",
    "text": "valueString",
    "attachment": "valueAttachment",
    "reference": "valueReference",
    "quantity": "valueQuantity",
}


class FhirInvalid(ValueError):
    """Input that cannot be accepted; each issue names where (FHIRPath) and why."""

    def __init__(self, issues: list[dict[str, str]]):
        super().__init__("; ".join(i["diagnostics"] for i in issues))
        self.issues = issues


def issue(
    diagnostics: str, expression: str = "", code: str = "invalid", severity: str = "error"
) -> dict[str, str]:
    return {
        "diagnostics": diagnostics,
        "expression": expression,
        "code": code,
        "severity": severity,
    }


def operation_outcome(issues: Iterable[Mapping[str, str]]) -> dict[str, Any]:
    """An OperationOutcome with one entry per issue (an error unless it says otherwise)."""
    out = []
    for i in issues:
        entry: dict[str, Any] = {
            "severity": i.get("severity") or "error",
            "code": i.get("code") or "invalid",
            "diagnostics": i["diagnostics"],
        }
        if i.get("expression"):
            entry["expression"] = [i["expression"]]
        out.append(entry)
    return {"resourceType": "OperationOutcome", "issue": out}


def item_expression(link_id: str) -> str:
    return f"QuestionnaireResponse.item.where(linkId='{link_id}')"


def without_empty(value: Any) -> Any:
    """Drop empty strings, lists and objects: FHIR JSON does not allow them."""
    if isinstance(value, dict):
        cleaned = {k: without_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ("", [], {}, None)}
    if isinstance(value, list):
        cleaned_list = [without_empty(v) for v in value]
        return [v for v in cleaned_list if v not in ("", [], {}, None)]
    return value


def validation_issues(
    exc: pydantic.ValidationError, data: Any, resource: str
) -> list[dict[str, str]]:
    """Turn a model's errors into issues that name the item (by linkId) where one is known."""
    found = []
    for error in exc.errors():
        loc = [p for p in error["loc"] if p != "__root__"]
        found.append(issue(describe_loc(data, loc, error["msg"]), fhirpath(resource, loc)))
    return found


def fhirpath(resource: str, loc: list[Any]) -> str:
    path = resource
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def describe_loc(data: Any, loc: list[Any], message: str) -> str:
    """Prefix the message with the innermost item's linkId found along ``loc``."""
    link_id, node = None, data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("linkId"), str):
            link_id = node["linkId"]
    where = ".".join(str(p) for p in loc) or "resource"
    if link_id:
        return f"item {link_id}: {where}: {message}"
    return f"{where}: {message}"


# Questionnaires ----------------------------------------------------------------------------


def fhir_id(instrument_id: str) -> str:
    """The instrument's id as a FHIR id (`[A-Za-z0-9.-]{1,64}`): `_` becomes `U`.

    REDCap form names (`pain_scale`) hold `_`, which FHIR ids may not. Instrument ids are
    lower case (`importer.ID_PATTERN`), so an upper-case `U` cannot clash with any other id
    and `instrument_id_of` turns it back: the mapping is stable and reversible.
    """
    return instrument_id.replace("_", "U")


def instrument_id_of(resource_id: str) -> str:
    """The instrument id a FHIR id names (the inverse of `fhir_id`)."""
    return resource_id.replace("U", "_")


def canonical_url(definition: Definition) -> str:
    return str(
        definition.questionnaire.get("url")
        or f"https://coproduce.org/fhir/Questionnaire/{definition.id}"
    )


def questionnaire_json(definition: Definition) -> dict[str, Any]:
    """The definition as a FHIR Questionnaire, checked with the R4B model.

    Empty strings (a group without a stem has ``"text": ""`` in some shipped files) are
    dropped, since FHIR JSON forbids them; nothing else changes.
    """
    data = without_empty(copy.deepcopy(definition.questionnaire))
    data["id"] = fhir_id(definition.id)  # the id it is read by, whatever the file said
    try:
        Questionnaire.model_validate(r4b_readable(data))
    except pydantic.ValidationError as exc:
        raise FhirInvalid(validation_issues(exc, data, "Questionnaire")) from exc
    return data


# Export --------------------------------------------------------------------------------------


def resource_id(response: CheckinResponse | int, instrument_id: str) -> str:
    """`{check-in id}-{instrument's FHIR id}`, the QuestionnaireResponse's id."""
    pk = response if isinstance(response, int) else response.pk
    return f"{pk}-{fhir_id(instrument_id)}"


def instrument_in(response: CheckinResponse, fhir_tail: str) -> str | None:
    """The instrument of `response` whose FHIR id is `fhir_tail` (the id after `{pk}-`)."""
    return next((i for i in response.answers if fhir_id(i) == fhir_tail), None)


def questionnaire_responses(
    response: CheckinResponse, scores: Iterable[Score] | None = None
) -> list[dict[str, Any]]:
    """One QuestionnaireResponse per instrument answered in ``response``."""
    by_instrument = {s.instrument_id: s for s in (scores or response.scores.all())}
    return [
        questionnaire_response(response, instrument_id, by_instrument.get(instrument_id))
        for instrument_id in response.answers
    ]


def questionnaire_response(
    response: CheckinResponse, instrument_id: str, score: Score | None
) -> dict[str, Any]:
    definition = get_definition(instrument_id, response.versions.get(instrument_id))
    values = response.answers.get(instrument_id) or {}
    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id(response, instrument_id),
        "meta": {"lastUpdated": response.submitted_at.isoformat()},  # stored once, never changed
        "questionnaire": f"{canonical_url(definition)}|{definition.version}",
        "status": "completed",
        "subject": {
            "identifier": {"system": REGISTRY_ID_SYSTEM, "value": response.patient.registry_id}
        },
        "authored": response.submitted_at.isoformat(),
        "item": _export_items(definition, definition.questionnaire.get("item") or [], values),
    }
    author = system_author(response)
    if author is not None:
        qr["author"] = author
    if score is not None:
        qr["extension"] = [score_extension(score)]
    return without_empty(qr)


def system_author(response: CheckinResponse) -> dict[str, Any] | None:
    """The registered system that sent this check-in, as a Device reference (or None)."""
    try:
        client = response.system_submission.client  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    return {
        "type": "Device",
        "identifier": {"system": API_CLIENT_SYSTEM, "value": client.client_id},
        "display": client.name,
    }


def score_extension(score: Score) -> dict[str, Any]:
    """coproduce's score of one instrument as a complex extension (see docs/api.md)."""
    parts: list[dict[str, Any]] = []
    if score.score is not None:
        value = float(score.score)
        parts.append({"url": "value", "valueDecimal": int(value) if value.is_integer() else value})
    if score.band:
        parts.append({"url": "band", "valueString": score.band})
    parts.append({"url": "complete", "valueBoolean": bool(score.complete)})
    parts += [{"url": "flag", "valueCode": str(f)} for f in score.flags or ()]
    if score.reason:
        parts.append({"url": "reason", "valueString": score.reason})
    parts.append({"url": "scoringVersion", "valueString": score.version})
    return {"url": SCORE_URL, "extension": parts}


def _export_items(
    definition: Definition, raw_items: list[dict[str, Any]], values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Answered items in the Questionnaire's own nesting (groups kept, empty ones dropped)."""
    out: list[dict[str, Any]] = []
    for raw in raw_items:
        link_id = str(raw.get("linkId"))
        children = _export_items(definition, raw.get("item") or [], values)
        node: dict[str, Any] = {"linkId": link_id, "text": raw.get("text") or ""}
        if raw.get("type") in ("group", "display") or link_id not in values:
            # Children of an unanswered question have nowhere to hang; groups carry them.
            if raw.get("type") == "group" and children:
                out.append({**node, "item": children})
            continue
        given = values[link_id]
        answers = [
            _answer(definition, raw, v) for v in (given if isinstance(given, list) else [given])
        ]
        if children:
            answers[0]["item"] = children
        out.append({**node, "answer": answers})
    return out


def _answer(definition: Definition, raw: Mapping[str, Any], value: Any) -> dict[str, Any]:
    kind = raw.get("type")
    if kind in ("choice", "open-choice"):
        option = definition.item(str(raw["linkId"])).by_code.get(str(value))
        if option is None:  # free text given to an open-choice question
            return {"valueString": str(value)}
        for candidate in raw.get("answerOption") or ():
            coding = candidate.get("valueCoding")
            if coding is not None and str(coding.get("code")) == option.code:
                return {"valueCoding": _coding(coding.get("system"), option.code, option.display)}
            for key in ("valueInteger", "valueString", "valueDate", "valueTime"):
                if key in candidate and str(candidate[key]) == option.code:
                    return {key: candidate[key]}
        return {"valueCoding": _coding(option.system, option.code, option.display)}
    key = _VALUE_KEYS.get(str(kind), "valueString")
    if key == "valueString" and not isinstance(value, str):
        value = str(value)
    return {key: value}


def _coding(system: str | None, code: str, display: str) -> dict[str, Any]:
    coding = {"system": system, "code": code, "display": display}
    return {k: v for k, v in coding.items() if v}


# Import --------------------------------------------------------------------------------------


@dataclass
class ParsedResponse:
    definition: Definition
    registry_id: str
    answers: dict[str, Any]


def parse_questionnaire_response(data: dict[str, Any]) -> ParsedResponse:
    """Check a QuestionnaireResponse and read it into answers; FhirInvalid names the problem."""
    data = clean_data(data)  # the R4B model cannot read a lone surrogate
    try:
        QuestionnaireResponse.model_validate(data)
    except pydantic.ValidationError as exc:
        raise FhirInvalid(validation_issues(exc, data, "QuestionnaireResponse")) from exc
    if data.get("status") not in ACCEPTED_STATUSES:
        raise FhirInvalid(
            [
                issue(
                    f"status {data.get('status')!r} is not accepted: only a completed "
                    "response can be stored.",
                    "QuestionnaireResponse.status",
                    "value",
                )
            ]
        )
    definition = _definition_for(str(data.get("questionnaire") or ""))
    registry_id = _registry_id(data.get("subject") or {})
    answers: dict[str, Any] = {}
    _read_items(definition, data.get("item") or [], answers)
    return ParsedResponse(definition, registry_id, answers)


def _definition_for(canonical: str) -> Definition:
    where = "QuestionnaireResponse.questionnaire"
    if not canonical:
        raise FhirInvalid([issue("questionnaire is required (the canonical URL).", where)])
    url, _, version = canonical.partition("|")
    matches = [
        d
        for d in list_definitions()
        if canonical_url(d) == url
        or url in (f"Questionnaire/{d.id}", f"Questionnaire/{fhir_id(d.id)}", d.id)
    ]
    if not matches:
        raise FhirInvalid(
            [
                issue(
                    f"{url} is not an instrument known here (shipped or imported).",
                    where,
                    "not-supported",
                )
            ]
        )
    current = get_definition(matches[0].id)
    if version and version != current.version:
        raise FhirInvalid(
            [
                issue(
                    f"{current.id} version {version} is not accepted; "
                    f"answers are taken for version {current.version}.",
                    where,
                    "not-supported",
                )
            ]
        )
    return current


def _registry_id(subject: Mapping[str, Any]) -> str:
    where = "QuestionnaireResponse.subject"
    identifier = subject.get("identifier") or {}
    if identifier.get("value"):
        if identifier.get("system") not in (None, REGISTRY_ID_SYSTEM):
            raise FhirInvalid(
                [issue(f"subject identifier system must be {REGISTRY_ID_SYSTEM}.", where)]
            )
        return str(identifier["value"])
    reference = str(subject.get("reference") or "")
    if reference.startswith("Patient/") and len(reference) > len("Patient/"):
        return reference.removeprefix("Patient/")
    raise FhirInvalid(
        [issue("subject must carry the patient's registry ID as an identifier.", where, "required")]
    )


def _read_items(
    definition: Definition, items: list[dict[str, Any]], answers: dict[str, Any]
) -> None:
    for raw in items:
        link_id = str(raw.get("linkId"))
        given = raw.get("answer") or []
        if given:
            if link_id in answers:
                raise FhirInvalid(
                    [issue(f"item {link_id} appears more than once.", item_expression(link_id))]
                )
            values = [_answer_value(definition, link_id, a) for a in given]
            item = definition.item_map.get(link_id)
            if len(values) > 1 and not (item is not None and item.repeats):
                raise FhirInvalid(
                    [issue(f"item {link_id} takes one answer.", item_expression(link_id))]
                )
            answers[link_id] = values if item is not None and item.repeats else values[0]
            for answer in given:
                _read_items(definition, answer.get("item") or [], answers)
        _read_items(definition, raw.get("item") or [], answers)


def _answer_value(definition: Definition, link_id: str, answer: Mapping[str, Any]) -> Any:
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1:
        raise FhirInvalid(
            [
                issue(
                    f"item {link_id}: each answer needs exactly one value.",
                    item_expression(link_id),
                )
            ]
        )
    value = answer[keys[0]]
    if keys[0] != "valueCoding":
        return value
    code = value.get("code")
    item = definition.item_map.get(link_id)
    option = item.by_code.get(str(code)) if item is not None else None
    system = value.get("system")
    if option is not None and option.system and system and system != option.system:
        raise FhirInvalid(
            [
                issue(
                    f"item {link_id}: code {code} is from {system}, expected {option.system}.",
                    item_expression(link_id),
                    "code-invalid",
                )
            ]
        )
    if not code:
        raise FhirInvalid(
            [issue(f"item {link_id}: the answer's coding has no code.", item_expression(link_id))]
        )
    return str(code)
