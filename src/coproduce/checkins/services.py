"""Submitting a check-in: the one path used by the web flow, the API and the CLI.

The caller owns the transaction (`with transaction.atomic(): submit_checkin(...)`), so the
response, its scores, the safety net's messages, alerts and outbox rows and the completed
invitation are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils.translation import get_language, gettext

from coproduce.audit.services import audit_event
from coproduce.checkins.models import (
    OPEN_STATUSES,
    CheckinResponse,
    Invitation,
    InvitationStatus,
    Score,
)
from coproduce.checkins.outbox import drop_unsent_reminders
from coproduce.instruments.library import UnknownInstrument, get_definition
from coproduce.instruments.results import InvalidResponse
from coproduce.instruments.scoring import score_definition, validate_answers, with_calculated
from coproduce.people.models import CareTeam, Patient, Role, Site, User
from coproduce.platform import clock, crisis
from coproduce.platform.batch import Batch, Ref, columns, from_row, one_round_trip, prepared_cursor
from coproduce.platform.text import clean_text
from coproduce.safetynet.engine import URGENT_ACK_MINUTES, item9_positive

if TYPE_CHECKING:
    from coproduce.safetynet.facts import Snapshot

log = logging.getLogger(__name__)


def crisis_resources(
    *, team_told: bool, stored: bool = True, country: str | None = None, language: str = ""
) -> str:
    """The crisis text for the site's `country` in `language` (default: the active one). It
    says the team has been told only when `team_told` (an urgent message to a real address
    was queued); `stored=False` when the check-in was not stored."""
    team = "not_sent" if not stored else "told" if team_told else "not_reached"
    return crisis.crisis_text(
        country, language or get_language(), team=team, minutes=URGENT_ACK_MINUTES
    )


def told_team(response: CheckinResponse) -> bool:
    """Whether a stored check-in's urgent alerts reached the team or the site's urgent
    contact (False when it raised none, e.g. while its safety-net check is pending)."""
    from coproduce.platform.models import Priority
    from coproduce.safetynet.models import Alert

    unreached = list(
        Alert.objects.filter(response=response, priority=Priority.URGENT).values_list(
            "unreached_at", flat=True
        )
    )
    return bool(unreached) and all(at is None for at in unreached)


def crisis_help_when_not_stored(
    answers: Any, *, country: str | None = None, language: str = ""
) -> str:
    """Crisis text for a check-in that could not be stored, from the answers alone ("" unless
    PHQ-9 item 9 is above 0); it says the team has not been told."""
    positive = item9_positive(answers if isinstance(answers, dict) else {})
    if not positive:
        return ""
    return crisis_resources(team_told=False, stored=False, country=country, language=language)


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
    team_told: bool = False  # an urgent alert reached the team or the site's urgent contact
    country: str = ""  # the site's, for its crisis lines

    def crisis_text(self, language: str = "") -> str:
        """The crisis resources to show with this result ("" unless it is a crisis)."""
        if not self.crisis:
            return ""
        return crisis_resources(team_told=self.team_told, country=self.country, language=language)


MAX_FREE_TEXT = 4000


def clean_free_text(text: Any) -> str:
    """The patient's note as it is stored: storable characters only, without outer spaces."""
    return clean_text(text if isinstance(text, str) else "").strip()


MAX_KEY = 64  # characters, as sent by the client and as stored


def web_idempotency_key(invitation: Invitation) -> str:
    """The stored key of a web check-in: one per invitation, so a double tap stores one."""
    return f"invitation:{invitation.pk}"


def _checked_key(sent: Any) -> str:
    """The key exactly as the client sent it, refused unless it is 1 to 64 characters."""
    if not isinstance(sent, str) or not 1 <= len(sent) <= MAX_KEY:
        raise CheckinInvalid(
            gettext("The Idempotency-Key must be 1 to %(max)s characters.") % {"max": MAX_KEY}
        )
    return sent


def api_idempotency_key(user: Any, sent: str) -> str:
    """The stored key for an Idempotency-Key header (JSON API and FHIR), scoped to the user.

    Checked as sent (1-64 characters), before hashing: the hash is always 60 characters.
    Keys are per user, so one person's key can never return another's response.
    """
    key = _checked_key(sent)
    return "api:" + hashlib.sha256(f"{user.pk}:{key}".encode()).hexdigest()[:56]


def system_idempotency_key(client_pk: int, sent: str) -> str:
    """The stored key for a system's Idempotency-Key header (FHIR), scoped to the API client.

    Per client, so two systems acting for one staff user never answer with each other's.
    """
    key = _checked_key(sent)
    return "sys:" + hashlib.sha256(f"{client_pk}:{key}".encode()).hexdigest()[:56]


def cli_idempotency_key(sent: str) -> str:
    """The stored key of `coproduce checkin --key` (checked as sent, like the API's)."""
    key = _checked_key(sent)
    fits = len("cli:") + len(key) <= MAX_KEY
    return "cli:" + (key if fits else hashlib.sha256(key.encode()).hexdigest()[:56])


@dataclass(frozen=True)
class NotStored:
    """The database failed: nothing was stored; the caller says "send again with the same key"
    and shows `crisis_resources` (computed from the answers alone, "" unless needed)."""

    crisis_resources: str
    country: str = ""  # whose crisis lines those are ("": the default country)

    @property
    def crisis(self) -> bool:
        return bool(self.crisis_resources)

    @property
    def detail(self) -> str:
        return gettext("The check-in was not stored; send it again with the same key.")


def not_stored(answers: Any, *, country: str | None = None, language: str = "") -> NotStored:
    """The outcome of a submit the database refused, without asking the database anything:
    crisis lines of `country` in `language` (known before the submit: the session or the
    loaded site), else of the default country in the active language."""
    help_now = crisis_help_when_not_stored(answers, country=country, language=language)
    return NotStored(help_now, country or "")


def store_checkin(
    *,
    then: Callable[[SubmitResult], None] | None = None,
    country: str | None = None,
    language: str = "",
    **submit: Any,
) -> SubmitResult | NotStored:
    """`submit_checkin` in its own transaction; a database failure gives `NotStored`.

    The one "not stored" path of the web page, the JSON API, the FHIR API and the CLI. Raises
    CheckinInvalid and CheckinClosed as `submit_checkin` does. `then` runs in the same
    transaction after the submit (e.g. recording which system sent the response), so both are
    stored or neither. `country` and `language` choose the crisis lines of a `NotStored`.
    """
    try:
        with transaction.atomic():
            result = submit_checkin(**submit)
            if then is not None:
                then(result)
            return result
    except DatabaseError:
        log.exception("Could not store a %s check-in.", submit.get("source", "web"))
        return not_stored(submit.get("answers"), country=country, language=language)


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
        try:
            definition = get_definition(instrument_id)
        except UnknownInstrument:
            message = (
                gettext("There is no instrument “%(id)s”.") % {"id": instrument_id}
                if instrument_id
                else gettext('An instrument key is empty (""): name an instrument.')
            )
            raise CheckinInvalid(message, instrument=instrument_id) from None
        given = answers.get(instrument_id) or {}
        try:
            values = validate_answers(definition, given)
        except InvalidResponse as exc:
            raise CheckinInvalid(
                f"{definition.title}, question {exc.link_id}: {exc.message}",
                instrument=instrument_id,
                link_id=exc.link_id,
            ) from None
        # Computed items may open questions (enableWhen on a calculated value), and are
        # computed again from the answers that stay, so a dropped answer cannot count.
        values = with_calculated(definition, values)
        asked = {i.link_id for i in definition.enabled_items(values, screening=screening)}
        values = with_calculated(definition, {k: v for k, v in values.items() if k in asked})
        values = {k: v for k, v in values.items() if k in asked}
        for item in definition.items:
            unanswered = item.link_id in asked and item.link_id not in values
            if item.required and item.asked and unanswered:
                raise CheckinInvalid(
                    f"{definition.title}, question {item.link_id} (“{item.text}”) needs an answer.",
                    instrument=instrument_id,
                    link_id=item.link_id,
                )
        cleaned[instrument_id] = values
        versions[instrument_id] = definition.version
    return cleaned, versions


def existing_result(key: str) -> SubmitResult | None:
    """Return the stored result of a submission made with `key`, or None (for a retry)."""
    response = CheckinResponse.objects.filter(idempotency_key=key).first()
    if response is None:
        return None
    messages = list(response.messages.all())
    is_crisis = any(m.crisis for m in messages) or item9_positive(response.answers)
    return SubmitResult(
        response,
        created=False,
        scores=list(response.scores.all()),
        messages=messages,
        crisis=is_crisis,
        team_told=told_team(response) if is_crisis else False,
        country=response.patient.care_team.site.country if is_crisis else "",
    )


# What the submit needs of the invitation, its patient, team and site (the rest is deferred).
_LOCKED = (
    (
        Invitation,
        "i",
        ["id", "patient", "instruments", "expires_at", "status", "screening", "reminders_sent"],
    ),
    (Patient, "p", ["id", "registry_id", "care_team"]),
    (CareTeam, "t", ["id", "site"]),
    (Site, "s", ["id", "time_zone", "country"]),
)


@lru_cache(maxsize=4)
def _lock_sql(vendor: str, for_update_of: bool) -> str:
    table = {m: connection.ops.quote_name(m._meta.db_table) for m, _, _ in _LOCKED}
    selected = ", ".join(c for model, alias, names in _LOCKED for c in columns(alias, model, names))
    sql = (
        f"SELECT {selected}, EXISTS (SELECT 1 FROM "
        f"{connection.ops.quote_name(CheckinResponse._meta.db_table)} r "
        "WHERE r.idempotency_key = %s) "
        f"FROM {table[Invitation]} i JOIN {table[Patient]} p ON p.id = i.patient_id "
        f"JOIN {table[CareTeam]} t ON t.id = p.care_team_id "
        f"JOIN {table[Site]} s ON s.id = t.site_id WHERE i.id = %s"
    )
    # SQLite has no row locks: its IMMEDIATE transactions hold the database's write lock.
    return sql + " FOR UPDATE OF i" if for_update_of else sql


def _lock_open_invitation(
    invitation: Invitation, key: str, now: dt.datetime
) -> tuple[Invitation, bool, Snapshot]:
    """Lock the invitation (patient, team and site loaded), say whether `key` is used, and
    read the safety net's snapshot of the patient, all in one round trip.

    Two submits of one invitation run one after the other behind the lock; only the
    invitation row is locked, not the site every patient shares. Written out by hand and
    prepared: through the ORM this read cost more than the rest of the submit together.
    The snapshot statement runs after the lock is granted, so it sees what a submit that
    held the lock before committed.
    """
    from coproduce.safetynet.engine import snapshot_instruments
    from coproduce.safetynet.facts import read_snapshot, snapshot_query

    lock_sql = _lock_sql(connection.vendor, connection.features.has_select_for_update_of)
    instruments = snapshot_instruments(set(invitation.instruments))
    snapshot_sql, snapshot_params = snapshot_query(
        patient_id=invitation.patient_id, at=now, now=now, instruments=instruments
    )
    lock, facts = prepared_cursor(connection), prepared_cursor(connection)
    try:
        with one_round_trip(connection):
            lock.execute(lock_sql, [key, invitation.pk])
            facts.execute(snapshot_sql, snapshot_params)
        row = lock.fetchone()
        snapshot = read_snapshot(facts.fetchall(), instruments)
    finally:
        lock.close()
        facts.close()
    if row is None:
        raise Invitation.DoesNotExist(f"invitation {invitation.pk} does not exist")
    objects, at = [], 0
    for model, _, names in _LOCKED:
        objects.append(from_row(model, names, list(row[at : at + len(names)])))
        at += len(names)
    locked, patient, team, site = objects
    team.site = site
    patient.care_team = team
    locked.patient = patient
    return locked, bool(row[-1]), snapshot


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
    language: str = "",
) -> SubmitResult:
    """Validate, store, score and safety-check one check-in; a repeated key returns the first.

    `language` is the one the questions were shown in (default: the active language).
    Raises CheckinInvalid (nothing stored) or CheckinClosed. Reads come first (the locked
    invitation, then the safety net's facts in one query); everything the check-in writes is
    then stored by one `Batch` (one statement on PostgreSQL).
    """
    from coproduce.safetynet import engine

    now = now or clock.now()
    _checked_key(idempotency_key)
    snapshot = None
    if invitation is not None:
        invitation, key_used, snapshot = _lock_open_invitation(invitation, idempotency_key, now)
        if key_used:
            return existing_result(idempotency_key)  # type: ignore[return-value]
        if invitation.status not in OPEN_STATUSES or invitation.expires_at <= now:
            done = CheckinResponse.objects.filter(invitation=invitation).first()
            if done is not None:  # submitted already (another key, another device)
                return existing_result(done.idempotency_key)  # type: ignore[return-value]
            raise CheckinClosed("This check-in is closed.")
        patient = invitation.patient
        instruments = list(invitation.instruments)
        screening = invitation.screening
    else:
        if patient is None:
            raise ValueError("submit_checkin needs an invitation or a patient")
        previous = existing_result(idempotency_key)
        if previous is not None:
            return previous
        instruments = list(answers) if isinstance(answers, dict) else []
        screening = False
    if not instruments:
        raise CheckinInvalid("No answers were given.")
    free_text = clean_free_text(free_text)
    if len(free_text) > MAX_FREE_TEXT:
        raise CheckinInvalid(f"The message to your team is longer than {MAX_FREE_TEXT} characters.")
    cleaned, versions = clean_answers(instruments, answers, screening=screening)

    response = CheckinResponse(
        patient=patient,
        invitation=invitation,
        submitted_by=submitted_by,
        source=source,
        answers=cleaned,
        versions=versions,
        free_text=free_text,
        idempotency_key=idempotency_key,
        submitted_at=now,
        language=(language or get_language() or "")[:8],
    )
    scores = [
        Score.from_result(
            response,
            score_definition(get_definition(i, versions[i]), cleaned[i]),
        )
        for i in instruments
    ]
    plan = None
    try:
        plan = engine.plan_safetynet(response, scores, now=now, snapshot=snapshot)
    except DatabaseError:
        raise  # the transaction cannot go on: nothing is stored, the caller says "try again"
    except Exception:
        # The patient's answers are never lost to a bug in the safety net: the response is
        # stored and the worker evaluates it again (recheck_safetynet).
        log.exception("Safety net failed for a check-in of patient %s.", patient.pk)
        response.safetynet_pending = True

    batch = Batch()
    batch.insert(response, skip_if_exists=True)
    for score in scores:
        batch.insert(score)
    if plan is not None:
        plan.add_to(batch)
    if invitation is not None:
        invitation.status = InvitationStatus.COMPLETED
        invitation.completed_at = now
        invitation.token_used_at = now
        invitation.next_reminder_at = None
        invitation.draft = {}
        batch.update(
            invitation, ["status", "completed_at", "token_used_at", "next_reminder_at", "draft"]
        )
    family = submitted_by is not None and submitted_by.role == Role.FAMILY
    event = audit_event(
        "checkin.submitted",
        actor=submitted_by,
        patient=patient,
        acting_for=patient if family else None,
        obj=response,
        detail={
            "instruments": versions,
            "source": source,
            "invitation": invitation.pk if invitation else None,
            "safetynet": "failed" if plan is None else "ok",
        },
    )
    batch.insert(event, refs={"object_id": Ref(response)})
    if not batch.write():
        # The key or the invitation was used by a submit that committed meanwhile.
        previous = existing_result(idempotency_key)
        if previous is None and invitation is not None:
            done = CheckinResponse.objects.filter(invitation=invitation).first()
            previous = existing_result(done.idempotency_key) if done is not None else None
        if previous is None:
            raise IntegrityError("the check-in could not be stored; please send it again")
        return previous
    if invitation is not None and invitation.reminders_sent:
        drop_unsent_reminders(invitation.pk)  # (no reminder rows exist before the first)

    is_crisis = item9_positive(cleaned) or bool(plan and plan.crisis)
    return SubmitResult(
        response,
        created=True,
        scores=scores,
        messages=list(plan.messages) if plan else [],
        crisis=is_crisis,
        safetynet_failed=plan is None,
        team_told=plan is not None and plan.team_told,
        country=patient.care_team.site.country if is_crisis else "",
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
