"""FHIR Questionnaire (each instrument version) and QuestionnaireResponse (one per
instrument answered in a check-in)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from coproduce.checkins.models import CheckinResponse
from coproduce.instruments.library import UnknownInstrument, get_definition, list_definitions
from coproduce.interop import fhir
from coproduce.interop.fhir_resources.access import Caller, pk_of, read_patient_of, searched_patient
from coproduce.interop.fhir_search import Page, Query, date_filter, last_updated


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


def read_questionnaire_response(caller: Caller, resource_id: str) -> dict[str, Any]:
    pk, _sep, tail = resource_id.partition("-")
    response = (
        CheckinResponse.objects.select_related("patient", "system_submission__client")
        .filter(pk=pk_of(pk))
        .first()
        if pk.isdigit()
        else None
    )
    instrument_id = fhir.instrument_in(response, tail) if response is not None else None
    if response is None or instrument_id is None:
        raise Http404
    read_patient_of(caller, response.patient.registry_id, "QuestionnaireResponse")
    score = response.scores.filter(instrument_id=instrument_id).first()
    return fhir.questionnaire_response(response, instrument_id, score)


def search_questionnaire_responses(caller: Caller, query: Query) -> Page:
    patient = searched_patient(caller, query)
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
