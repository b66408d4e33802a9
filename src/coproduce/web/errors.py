"""The server error page, and the one exception to it: a check-in the database lost.

A database failure inside a submit is `NotStored` in the check-in service. The database can
also fail before the submit runs: the session middleware reading the session, the audited
read of the patient, the login check. Django then calls `handler500`; for the three submit
routes this answers as the submit would have, 503 "send again" with crisis help computed
from the answers in the request alone (no database), instead of a bare 500.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults

from coproduce.checkins.services import NotStored, crisis_resources, not_stored

log = logging.getLogger(__name__)

API_SUBMIT = "/api/v1/checkins/"
FHIR_SUBMIT = "/fhir/R4/QuestionnaireResponse"
CHECKIN_LINKS = "/c/"  # the check-in link's pages (checkins/urls.py)


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None


def _fhir_answers(data: Any) -> dict[str, Any] | None:
    """The answers of a QuestionnaireResponse, or None when they cannot be read here."""
    from coproduce.interop.fhir import parse_questionnaire_response

    try:
        parsed = parse_questionnaire_response(data if isinstance(data, dict) else {})
    except Exception:  # an imported definition needs the database; a bad body is not ours
        return None
    return {parsed.definition.id: parsed.answers}


def _unknown_answers() -> NotStored:
    """Crisis help when the answers cannot be read without the database: shown, to be safe."""
    return NotStored(crisis_resources(team_told=False, stored=False))


def submit_not_stored(request: HttpRequest) -> HttpResponse | None:
    """The 503 of a submit route whose database failed before the submit ran, else None."""
    if request.method != "POST":
        return None
    path = request.path_info
    if path == API_SUBMIT:
        from coproduce.checkins.api import not_stored_body

        data = _body(request)
        answers = data.get("answers") if isinstance(data, dict) else None
        return JsonResponse(not_stored_body(not_stored(answers)), status=503)
    if path.rstrip("/") == FHIR_SUBMIT:
        from coproduce.interop.fhir_api import not_stored_outcome

        answers = _fhir_answers(_body(request))
        return not_stored_outcome(not_stored(answers) if answers else _unknown_answers())
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name == "checkin-submit":
        from coproduce.checkins.views import not_sent_page, sent_already

        if sent_already(match.kwargs["token"]):
            return None  # stored, and the failure came after (saving the session): not ours
        # The answers are in the invitation's draft, in the database: they cannot be read.
        return not_sent_page(request, match.kwargs["token"], _unknown_answers())
    return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it inside its `except`, so the exception is at hand."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        try:
            answer = submit_not_stored(request)
        except Exception:
            log.exception("Could not answer a lost check-in with 503.")
            answer = None
        if answer is not None:
            return answer
    return defaults.server_error(request)


class _LostSession(SessionBase):
    """An empty session that is never saved: the stand-in for one the database lost."""

    @property  # type: ignore[override]
    def modified(self) -> bool:
        return False  # nothing to save, so the browser's cookie is left as it is

    @modified.setter
    def modified(self, value: bool) -> None:
        pass

    def load(self) -> dict[str, Any]:
        return {}

    def exists(self, session_key: str) -> bool:
        return False

    def create(self) -> None:
        pass

    def save(self, must_create: bool = False) -> None:
        pass

    def delete(self, session_key: str | None = None) -> None:
        pass


class LostSessionMiddleware:
    """Sessions live in the database: when it cannot read this browser's session on a
    check-in link's pages, go on as a visitor without one, so that the link still opens,
    sends and answers (a lost session must not turn "your check-in was sent" into a bare
    server error). Other routes keep their own answer (handler500 above). Goes right after
    Django's SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and request.path_info.startswith(CHECKIN_LINKS):
            try:
                session.get("_")  # load it now, where a failure can be handled
            except DatabaseError:
                log.warning("Could not read the session of %s: going on without one.", request.path)
                request.session = _LostSession()
        return self.get_response(request)
