"""Storing a FHIR QuestionnaireResponse: read it, check access, then `submit_checkin`."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from coproduce.checkins.services import (
    CheckinInvalid,
    NotStored,
    SubmitResult,
    api_idempotency_key,
    store_checkin,
)
from coproduce.interop.fhir import (
    FhirInvalid,
    issue,
    item_expression,
    parse_questionnaire_response,
)
from coproduce.people.access import can_answer_for, get_patient_for
from coproduce.people.models import User


def submit_questionnaire_response(
    user: User, data: dict[str, Any], idempotency_key: str
) -> tuple[SubmitResult | NotStored, str]:
    """Store one QuestionnaireResponse as a check-in; return the outcome and the instrument.

    Raises FhirInvalid (nothing stored) or Http404 when the user may not answer for the
    subject; a database failure is `NotStored`, as for every caller of `store_checkin`.
    """
    try:
        key = api_idempotency_key(user, idempotency_key)
    except CheckinInvalid as exc:
        raise FhirInvalid([issue(str(exc), "Idempotency-Key")]) from exc
    parsed = parse_questionnaire_response(data)
    patient = get_patient_for(user, parsed.registry_id, detail={"page": "api fhir submit"})
    if not can_answer_for(user, patient):
        raise Http404("No such patient.")
    instrument_id = parsed.definition.id
    try:
        result = store_checkin(
            patient=patient,
            answers={instrument_id: parsed.answers},
            idempotency_key=key,
            submitted_by=user,
            source="fhir",
        )
    except CheckinInvalid as exc:
        where = item_expression(exc.link_id) if exc.link_id else "QuestionnaireResponse"
        raise FhirInvalid([issue(str(exc), where)]) from exc
    return result, instrument_id
