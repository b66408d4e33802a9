"""Storing a FHIR QuestionnaireResponse: read it, check access, then `submit_checkin`."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.http import Http404

from coproduce.audit.services import record
from coproduce.checkins.api import api_idempotency_key
from coproduce.checkins.services import CheckinInvalid, SubmitResult, submit_checkin
from coproduce.interop.fhir import (
    FhirInvalid,
    issue,
    item_expression,
    parse_questionnaire_response,
)
from coproduce.people.access import can_answer_for, get_patient_for
from coproduce.people.models import User

if TYPE_CHECKING:
    from coproduce.interop.models import ApiClient


def system_idempotency_key(client: ApiClient, idempotency_key: str) -> str:
    """The stored key for a system's Idempotency-Key header (scoped to the client)."""
    # Per client, so two systems acting for one staff user never answer with each other's.
    return "sys:" + hashlib.sha256(f"{client.pk}:{idempotency_key}".encode()).hexdigest()[:56]


def submit_questionnaire_response(
    user: User, data: dict[str, Any], idempotency_key: str, *, client: ApiClient | None = None
) -> tuple[SubmitResult, str]:
    """Store one QuestionnaireResponse as a check-in; return the result and the instrument.

    A logged-in user may answer only for themself or their child (`can_answer_for`). A
    system (`client`, whose token's scopes allow creating QuestionnaireResponses) may store
    one for any patient its staff user may see: a hospital's kiosk or EHR forwarding what
    the patient answered there. The check-in records the client as its author.

    Raises FhirInvalid (nothing stored) or Http404 when the caller may not answer for the
    subject. The caller owns the transaction, as for every `submit_checkin` caller.
    """
    from coproduce.interop.models import SystemSubmission

    parsed = parse_questionnaire_response(data)
    detail = {"page": "api fhir submit"}
    if client is not None:
        detail["client"] = client.name
    patient = get_patient_for(user, parsed.registry_id, detail=detail)
    if client is None and not can_answer_for(user, patient):
        raise Http404("No such patient.")
    instrument_id = parsed.definition.id
    key = (
        api_idempotency_key(user, idempotency_key)
        if client is None
        else system_idempotency_key(client, idempotency_key)
    )
    try:
        result = submit_checkin(
            patient=patient,
            answers={instrument_id: parsed.answers},
            idempotency_key=key,
            submitted_by=user,
            source="fhir" if client is None else "fhir-system",
        )
    except CheckinInvalid as exc:
        where = item_expression(exc.link_id) if exc.link_id else "QuestionnaireResponse"
        raise FhirInvalid([issue(str(exc), where)]) from exc
    if client is not None and result.created:
        SystemSubmission.objects.create(response=result.response, client=client)
        record(
            "apiclient.response_submitted",
            actor=user,
            patient=patient,
            obj=result.response,
            detail={"client": client.name, "instrument": instrument_id},
        )
    return result, instrument_id
