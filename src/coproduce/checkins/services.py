"""Submitting a check-in: the one path used by the web flow, the API and the CLI.

The caller owns the transaction (`with transaction.atomic(): submit_checkin(...)`), so the
response, its scores, the safety net's messages, alerts and outbox rows and the completed
invitation are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from coproduce.audit.services import record
from coproduce.checkins.models import (
    OPEN_STATUSES,
    CheckinResponse,
    Invitation,
    InvitationStatus,
    Score,
)
from coproduce.checkins.outbox import drop_unsent_reminders
from coproduce.instruments.library import get_definition
from coproduce.instruments.results import InvalidResponse
from coproduce.instruments.scoring import score_definition, validate_answers
from coproduce.people.models import Patient, Role, User
from coproduce.safetynet.engine import item9_positive

log = logging.getLogger(__name__)

# Shown when the safety net itself cannot be reached: crisis resources never depend on it.
FALLBACK_CRISIS_RESOURCES = (
    "If you might act on thoughts of hurting yourself, or you are not safe right now: call "
    "your emergency number (112 in Europe, 911 in the US and Canada) or go to the nearest "
    "emergency department. You can call a crisis line at any time (988 in the US). Tell "
    "someone you trust how you feel and ask them to stay with you. Your care team will be "
    "told and will contact you."
)


def crisis_resources() -> str:
    try:
        from coproduce.safetynet.engine import CRISIS_RESOURCES
    except Exception:  # the crisis text must show even if the safety net will not import
        return FALLBACK_CRISIS_RESOURCES
    return CRISIS_RESOURCES


class CheckinInvalid(ValueError):
    """Answers that cannot be accepted; the message names the instrument and the item."""

    def __init__(self, message: str, *, instrument: str = "", link_id: str = ""):
        super().__init__(message)
        self.instrument = instrument
        self.link_id = link_id


class CheckinClosed(ValueError):
    """The invitation is no longer open (completed, expired or cancelled)."""


@dataclass
class SubmitResult:
    response: CheckinResponse
    created: bool
    scores: list[Score] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)
    crisis: bool = False
    safetynet_failed: bool = False


def web_idempotency_key(invitation: Invitation) -> str:
    return f"invitation:{invitation.pk}"


def clean_answers(
    instruments: list[str], answers: dict[str, Any], *, screening: bool = False
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Validate every instrument's answers; return (cleaned answers, versions).

    Answers to questions that were not asked (branching) are dropped; a required question
    that was asked but not answered is refused.
    """
    if not isinstance(answers, dict):
        raise CheckinInvalid("Answers must be an object of {instrument: {question: answer}}.")
    unknown = sorted(set(answers) - set(instruments))
    if unknown:
        raise CheckinInvalid(
            f"This check-in does not include {', '.join(unknown)} "
            f"(it has {', '.join(instruments)}).",
            instrument=unknown[0],
        )
    cleaned: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    for instrument_id in instruments:
        definition = get_definition(instrument_id)
        given = answers.get(instrument_id) or {}
        try:
            values = validate_answers(definition, given)
        except InvalidResponse as exc:
            raise CheckinInvalid(
                f"{definition.title}, question {exc.link_id}: {exc.message}",
                instrument=instrument_id,
                link_id=exc.link_id,
            ) from None
        asked = {i.link_id for i in definition.enabled_items(values, screening=screening)}
        values = {k: v for k, v in values.items() if k in asked}
        for item in definition.items:
            if item.required and item.link_id in asked and item.link_id not in values:
                raise CheckinInvalid(
                    f"{definition.title}, question {item.link_id} (“{item.text}”) needs an answer.",
                    instrument=instrument_id,
                    link_id=item.link_id,
                )
        cleaned[instrument_id] = values
        versions[instrument_id] = definition.version
    return cleaned, versions


def _existing(key: str) -> SubmitResult | None:
    response = CheckinResponse.objects.filter(idempotency_key=key).first()
    if response is None:
        return None
    messages = list(response.messages.all())
    crisis = any(m.crisis for m in messages) or item9_positive(response.answers)
    return SubmitResult(
        response,
        created=False,
        scores=list(response.scores.all()),
        messages=messages,
        crisis=crisis,
    )


def submit_checkin(
    *,
    invitation: Invitation | None = None,
    patient: Patient | None = None,
    answers: dict[str, Any],
    free_text: str = "",
    idempotency_key: str,
    submitted_by: User | None = None,
    source: str = "web",
    now: dt.datetime | None = None,
) -> SubmitResult:
    """Validate, store, score and safety-check one check-in; a repeated key returns the first.

    Raises CheckinInvalid (nothing stored) or CheckinClosed.
    """
    now = now or timezone.now()
    if not idempotency_key or len(idempotency_key) > 64:
        raise CheckinInvalid("An idempotency key of 1 to 64 characters is required.")
    previous = _existing(idempotency_key)
    if previous is not None:
        return previous
    if invitation is not None:
        # Lock the invitation so two concurrent submits of it run one after the other.
        # of=("self",): lock only the invitation, not the patient's site shared by everyone.
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("patient__care_team__site")
            .get(pk=invitation.pk)
        )
        if invitation.status not in OPEN_STATUSES or invitation.expires_at <= now:
            done = CheckinResponse.objects.filter(invitation=invitation).first()
            if done is not None:  # submitted already (another key, another device)
                return _existing(done.idempotency_key)  # type: ignore[return-value]
            raise CheckinClosed("This check-in is closed.")
        patient = invitation.patient
        instruments = list(invitation.instruments)
        screening = invitation.screening
    else:
        if patient is None:
            raise ValueError("submit_checkin needs an invitation or a patient")
        instruments = list(answers) if isinstance(answers, dict) else []
        screening = False
    if not instruments:
        raise CheckinInvalid("No answers were given.")
    free_text = (free_text or "").strip()
    if len(free_text) > 4000:
        raise CheckinInvalid("The message to your team is longer than 4000 characters.")
    cleaned, versions = clean_answers(instruments, answers, screening=screening)

    try:
        with transaction.atomic():
            response = CheckinResponse.objects.create(
                patient=patient,
                invitation=invitation,
                submitted_by=submitted_by,
                source=source,
                answers=cleaned,
                versions=versions,
                free_text=free_text,
                idempotency_key=idempotency_key,
                submitted_at=now,
            )
    except IntegrityError:
        # A concurrent submit with the same key committed first.
        previous = _existing(idempotency_key)
        if previous is None:
            raise
        return previous

    rows = []
    for instrument_id in instruments:
        result = score_definition(
            get_definition(instrument_id, versions[instrument_id]), cleaned[instrument_id]
        )
        rows.append(Score.from_result(response, result))
    scores = Score.objects.bulk_create(rows)

    outcome = None
    try:
        # A savepoint: if the safety net fails, the response still stands (the patient's
        # answers are never lost) and the worker evaluates it again.
        with transaction.atomic():
            from coproduce.safetynet.engine import evaluate_and_record

            outcome = evaluate_and_record(response, scores, now=now, fresh=True)
    except Exception:
        log.exception("Safety net failed for response %s; it will be evaluated again.", response.pk)
        response.safetynet_pending = True
        response.save(update_fields=["safetynet_pending"])

    if invitation is not None:
        invitation.status = InvitationStatus.COMPLETED
        invitation.completed_at = now
        invitation.token_used_at = now
        invitation.next_reminder_at = None
        invitation.draft = {}
        invitation.save(
            update_fields=["status", "completed_at", "token_used_at", "next_reminder_at", "draft"]
        )
        drop_unsent_reminders(invitation.pk)

    family = submitted_by is not None and submitted_by.role == Role.FAMILY
    record(
        "checkin.submitted",
        actor=submitted_by,
        patient=patient,
        acting_for=patient if family else None,
        obj=response,
        detail={
            "instruments": versions,
            "source": source,
            "invitation": invitation.pk if invitation else None,
            "safetynet": "failed" if outcome is None else "ok",
        },
    )
    crisis = item9_positive(cleaned) or bool(outcome and outcome.crisis)
    return SubmitResult(
        response,
        created=True,
        scores=scores,
        messages=list(outcome.messages) if outcome else [],
        crisis=crisis,
        safetynet_failed=outcome is None,
    )


def recheck_safetynet(now: dt.datetime | None = None, *, limit: int = 100) -> int:
    """Evaluate again responses whose safety-net check failed at submit; return how many."""
    from coproduce.safetynet.engine import evaluate_and_record

    done = 0
    for response in CheckinResponse.objects.filter(safetynet_pending=True)[:limit]:
        with transaction.atomic():
            claimed = CheckinResponse.objects.filter(pk=response.pk, safetynet_pending=True).update(
                safetynet_pending=False
            )
            if claimed:
                evaluate_and_record(response, list(response.scores.all()), now=now)
                done += 1
    return done
