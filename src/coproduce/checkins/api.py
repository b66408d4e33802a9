"""JSON API for submitting a check-in (the same `submit_checkin` as the web flow).

The router is mounted on the shared API (``coproduce.interop.api``) at /api/v1/checkins/.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import DatabaseError
from django.http import Http404
from ninja import Field, Header, Router, Schema, Status

from coproduce.checkins.private import keep_from_parent
from coproduce.checkins.selectors import invitation_for_user
from coproduce.checkins.services import (
    CheckinClosed,
    CheckinInvalid,
    NotStored,
    SubmitResult,
    api_idempotency_key,
    existing_result,
    store_checkin,
)
from coproduce.people.access import can_answer_for, get_patient_for, hidden_from_proxy

log = logging.getLogger(__name__)
router = Router(tags=["check-ins"])


class CheckinIn(Schema):
    invitation_id: int | None = None
    patient: str | None = None  # registry ID; defaults to the logged-in patient
    answers: dict[str, dict[str, Any]]
    free_text: str = ""


class ScoreOut(Schema):
    instrument_id: str
    version: str
    score: float | None
    band: str
    flags: list[str]
    complete: bool
    reason: str


class MessageOut(Schema):
    acknowledge: str
    # "validate" is a pydantic method: the attribute has another name, the JSON field not.
    validate_text: str = Field(alias="validate")
    advise: str
    clinic_will: str
    crisis: bool


class CheckinOut(Schema):
    id: int
    patient: str
    submitted_at: dt.datetime
    created: bool
    scores: list[ScoreOut]
    messages: list[MessageOut]
    crisis: bool
    crisis_resources: str


class Problem(Schema):
    detail: str
    instrument: str = ""
    item: str = ""


class NotStoredOut(Schema):
    """The database failed: nothing was stored; send again with the same key."""

    detail: str
    crisis: bool
    crisis_resources: str


def _out(result: SubmitResult) -> dict[str, Any]:
    r = result.response
    return {
        "id": r.pk,
        "patient": r.patient.registry_id,
        "submitted_at": r.submitted_at,
        "created": result.created,
        "scores": result.scores,
        "messages": [
            {
                "acknowledge": shown["acknowledge"],
                "validate": shown["validate"],
                "advise": shown["advise"],
                "clinic_will": shown["clinic_will"],
                "crisis": m.crisis,
            }
            for m in result.messages
            for shown in (m.shown,)
        ],
        "crisis": result.crisis,
        "crisis_resources": result.crisis_text(),
    }


def _country(invitation, patient) -> str:
    """The site's country if it is already loaded (the database may be down): else ""."""
    who = invitation.patient if invitation is not None else patient
    try:
        return who.care_team.site.country if who is not None else ""
    except DatabaseError:
        return ""


@router.post(
    "/",
    response={
        200: CheckinOut,
        201: CheckinOut,
        400: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        503: NotStoredOut,
    },
    summary="Submit a check-in",
    by_alias=True,
)
def post_checkin(
    request, payload: CheckinIn, idempotency_key: str = Header(..., alias="Idempotency-Key")
):
    """Submit answers for an invitation or an on-demand check-in; repeat-safe by key."""
    user = request.user
    try:
        key = api_idempotency_key(user, idempotency_key)
    except CheckinInvalid as exc:
        return Status(400, {"detail": str(exc)})
    invitation = patient = None
    try:
        if payload.invitation_id is not None:
            invitation = invitation_for_user(user, payload.invitation_id)
        else:
            registry_id = payload.patient or getattr(
                getattr(user, "patient", None), "registry_id", ""
            )
            if not registry_id:
                raise Http404
            patient = get_patient_for(user, registry_id, detail={"page": "api checkin"})
            if not can_answer_for(user, patient):
                raise Http404
    except Http404:
        # A retry whose first try was stored (its reply lost) finds the invitation closed:
        # answer with what was stored, crisis help included, not "no such check-in".
        stored = existing_result(key)
        if stored is None or not can_answer_for(user, stored.response.patient):
            return Status(404, {"detail": "No such check-in or patient."})
        return Status(200, _out(stored))
    who = invitation.patient if invitation is not None else patient
    assert who is not None
    hidden = hidden_from_proxy(user, who)[0]
    private = sorted(set(payload.answers) & hidden)
    if private:
        # A teen answers their confidential questionnaires themselves (checkins/private.py).
        return Status(
            403,
            {
                "detail": f"{who.given_name} answers these questionnaires themselves: "
                f"{', '.join(private)}."
            },
        )
    if invitation is not None and hidden:
        # The teen's questions of this check-in stay open for the teen (not sent with these).
        invitation = keep_from_parent(invitation, hidden)
    try:
        result = store_checkin(
            country=_country(invitation, patient),
            invitation=invitation,
            patient=patient,
            answers=payload.answers,
            free_text=payload.free_text,
            idempotency_key=key,
            submitted_by=user,
            source="api",
        )
    except CheckinInvalid as exc:
        return Status(400, {"detail": str(exc), "instrument": exc.instrument, "item": exc.link_id})
    except CheckinClosed as exc:
        return Status(409, {"detail": str(exc)})
    if isinstance(result, NotStored):
        return Status(503, not_stored_body(result))
    return Status(201 if result.created else 200, _out(result))


def not_stored_body(outcome: NotStored) -> dict[str, Any]:
    return {
        "detail": outcome.detail,
        "crisis": outcome.crisis,
        "crisis_resources": outcome.crisis_resources,
    }
