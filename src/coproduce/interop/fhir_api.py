"""/api/v1/fhir/: FHIR R4 Questionnaire and QuestionnaireResponse endpoints."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from ninja import Header, Router, Schema
from pydantic import ConfigDict

from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.services import SubmitResult
from coproduce.instruments.library import UnknownInstrument, get_definition
from coproduce.interop import fhir
from coproduce.interop.services import submit_questionnaire_response
from coproduce.people.access import get_patient_for

router = Router(tags=["FHIR R4"])
FHIR_JSON = "application/fhir+json"


class Resource(Schema):
    """Any FHIR resource (the body is the resource's JSON)."""

    model_config = ConfigDict(extra="allow")
    resourceType: str


class ResponseItemIn(Schema):
    model_config = ConfigDict(extra="allow")
    linkId: str
    text: str | None = None
    answer: list[dict[str, Any]] = []
    item: list[ResponseItemIn] = []


class QuestionnaireResponseIn(Schema):
    """A QuestionnaireResponse; the full resource is then checked with the R4B model."""

    model_config = ConfigDict(extra="allow")
    resourceType: Literal["QuestionnaireResponse"]
    questionnaire: str
    status: str
    subject: dict[str, Any]
    item: list[ResponseItemIn] = []


OUTCOMES = {400: Resource, 404: Resource}


def fhir_response(resource: dict[str, Any], status: int = 200, **headers: str) -> JsonResponse:
    return JsonResponse(resource, status=status, content_type=FHIR_JSON, headers=headers or None)


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/api/v1/fhir/QuestionnaireResponse/")


@router.get(
    "/Questionnaire/{instrument_id}",
    response={200: Resource, **OUTCOMES},
    summary="Read a Questionnaire",
)
def read_questionnaire(request, instrument_id: str, version: str | None = None):
    """The instrument's Questionnaire (latest version unless asked), validated with R4B."""
    try:
        definition = get_definition(instrument_id, version)
    except UnknownInstrument:
        raise Http404("No such Questionnaire.") from None
    return fhir_response(fhir.questionnaire_json(definition))


@router.get(
    "/QuestionnaireResponse",
    response={200: Resource, **OUTCOMES},
    summary="Search QuestionnaireResponses by patient",
)
def search_questionnaire_responses(request, patient: str):
    """A searchset Bundle of the patient's responses, newest first (`patient` = registry ID)."""
    registry_id = patient.removeprefix("Patient/")
    found = get_patient_for(request.user, registry_id, detail={"page": "api fhir search"})
    responses = found.checkin_responses.select_related("patient").prefetch_related("scores")
    bundle = fhir.search_bundle(
        responses.order_by("-submitted_at", "-pk"), _base(request), request.build_absolute_uri()
    )
    return fhir_response(bundle)


@router.get(
    "/QuestionnaireResponse/{resource_id}",
    response={200: Resource, **OUTCOMES},
    summary="Read a QuestionnaireResponse",
)
def read_questionnaire_response(request, resource_id: str):
    """One instrument's answers from one check-in (ids as in the search Bundle)."""
    pk, _, instrument_id = resource_id.partition("-")
    response = CheckinResponse.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if response is None or instrument_id not in response.answers:
        raise Http404("No such QuestionnaireResponse.")
    get_patient_for(request.user, response.patient.registry_id, detail={"page": "api fhir read"})
    score = response.scores.filter(instrument_id=instrument_id).first()
    return fhir_response(fhir.questionnaire_response(response, instrument_id, score))


@router.post(
    "/QuestionnaireResponse",
    response={200: Resource, 201: Resource, **OUTCOMES},
    summary="Submit a QuestionnaireResponse",
)
def create_questionnaire_response(
    request,
    payload: QuestionnaireResponseIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
):
    """Store a completed response as a check-in; repeat-safe by Idempotency-Key."""
    with transaction.atomic():
        result, instrument_id = submit_questionnaire_response(
            request.user, payload.model_dump(exclude_unset=True), idempotency_key
        )
    return _created(request, result, instrument_id)


def _created(request: HttpRequest, result: SubmitResult, instrument_id: str) -> JsonResponse:
    response = result.response
    if instrument_id not in response.answers:  # the key was first used for another check-in
        instrument_id = next(iter(response.answers))
    score = next((s for s in result.scores if s.instrument_id == instrument_id), None)
    qr = fhir.questionnaire_response(response, instrument_id, score)
    # What the patient must see at once travels with the answer, as in the JSON API.
    qr.setdefault("extension", []).extend(
        {"url": fhir.PATIENT_MESSAGE_URL, "valueString": text}
        for m in result.messages
        for text in (m.acknowledge, m.validate, m.advise, m.clinic_will)
        if text
    )
    if result.crisis:
        qr["extension"].append(
            {"url": fhir.CRISIS_RESOURCES_URL, "valueString": result.crisis_text()}
        )
    location = _base(request) + qr["id"]
    return fhir_response(qr, 201 if result.created else 200, Location=location)
