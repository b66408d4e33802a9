"""Storing a FHIR QuestionnaireResponse: read it, check access, then `submit_checkin`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404

from coproduce.audit.services import record
from coproduce.checkins.services import (
    CheckinInvalid,
    NotStored,
    SubmitResult,
    api_idempotency_key,
    store_checkin,
    system_idempotency_key,
)
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


def submit_questionnaire_response(
    user: User, data: dict[str, Any], idempotency_key: str, *, client: ApiClient | None = None
) -> tuple[SubmitResult | NotStored, str]:
    """Store one QuestionnaireResponse as a check-in; return the outcome and the instrument.

    A logged-in user may answer only for themself or their child (`can_answer_for`). A
    system (`client`, whose token's scopes allow creating QuestionnaireResponses) may store
    one for any patient its staff user may see: a hospital's kiosk or EHR forwarding what
    the patient answered there. The check-in records the client as its author.

    Raises FhirInvalid (nothing stored) or Http404 when the caller may not answer for the
    subject; a database failure is `NotStored`, as for every caller of `store_checkin`.
    """
    from coproduce.interop.models import SystemSubmission

    try:
        key = (
            api_idempotency_key(user, idempotency_key)
            if client is None
            else system_idempotency_key(client.pk, idempotency_key)
        )
    except CheckinInvalid as exc:
        raise FhirInvalid([issue(str(exc), "Idempotency-Key")]) from exc
    parsed = parse_questionnaire_response(data)
    detail = {"page": "api fhir submit"}
    if client is not None:
        detail["client"] = client.name
    patient = get_patient_for(user, parsed.registry_id, detail=detail)
    if client is None and not can_answer_for(user, patient):
        raise Http404("No such patient.")
    instrument_id = parsed.definition.id

    def by_system(result: SubmitResult) -> None:
        if client is None or not result.created:
            return
        SystemSubmission.objects.create(response=result.response, client=client)
        record(
            "apiclient.response_submitted",
            actor=user,
            patient=patient,
            obj=result.response,
            detail={"client": client.name, "instrument": instrument_id},
        )

    try:
        result = store_checkin(
            patient=patient,
            answers={instrument_id: parsed.answers},
            idempotency_key=key,
            submitted_by=user,
            source="fhir" if client is None else "fhir-system",
            then=by_system,
        )
    except CheckinInvalid as exc:
        where = item_expression(exc.link_id) if exc.link_id else "QuestionnaireResponse"
        raise FhirInvalid([issue(str(exc), where)]) from exc
    return result, instrument_id
