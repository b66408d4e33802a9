"""Check-in pages: opened by a link's token (no password) or from the patient's own page.

Views parse the form and delegate: the flow module saves drafts, `submit_checkin` submits.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.checkins import flow, private
from coproduce.checkins.models import CheckinResponse, Invitation, InvitationStatus
from coproduce.checkins.selectors import due_for_user, invitation_for_user
from coproduce.checkins.services import (
    MAX_FREE_TEXT,
    CheckinClosed,
    CheckinInvalid,
    NotStored,
    crisis_resources,
    store_checkin,
    told_team,
    web_idempotency_key,
)
from coproduce.checkins.tokens import (
    LinkRefused,
    invitation_for_token,
    issue_token,
    token_digest_for,
)
from coproduce.instruments.library import unavailable_in
from coproduce.people.access import can_answer_for, hidden_from_proxy
from coproduce.people.models import PATIENT_SIDE_ROLES, Role
from coproduce.platform import clock
from coproduce.platform.http import show_service_error
from coproduce.safetynet.engine import item9_positive

log = logging.getLogger(__name__)

RESULTS_SESSION_KEY = "checkin_results"
REFUSED_STATUS = {
    "unknown": 404,
    "expired": 410,
    "completed": 410,
    "cancelled": 410,
    "language": 200,  # the link is fine: its questions are not in this language
    "private": 403,  # a teen's own questions, opened by their parent
}


def _actor(request, invitation: Invitation):
    """The logged-in person answering, if they may answer for this patient; else anonymous."""
    user = request.user
    if user.is_authenticated and can_answer_for(user, invitation.patient):
        return user
    return None


def _refused(request, exc: LinkRefused):
    record(
        "checkin.not_in_language" if exc.reason == "language" else "checkin.refused",
        actor=request.user,
        patient=exc.invitation.patient if exc.invitation else None,
        obj=exc.invitation,
        detail={"reason": exc.reason, **exc.detail},
    )
    context: dict[str, Any] = {"reason": exc.reason}
    if exc.invitation is not None:
        context["patient_name"] = exc.invitation.patient.given_name
    if exc.reason == "language" and exc.invitation is not None:
        context["languages"] = [
            (code, name)
            for code, name in settings.LANGUAGES
            if not unavailable_in(list(exc.invitation.instruments), code)
        ]
        context["here"] = request.get_full_path()
    return render(request, "checkins/refused.html", context, status=REFUSED_STATUS[exc.reason])


# The check-in's country and language, kept in the session from the first page so that the
# "not stored" answer can show the right crisis lines without the database.
LOCALE_SESSION_KEY = "checkin_locale"


def _open(request, token: str) -> Invitation:
    """The open invitation of `token`, read in its reader's language and holding only what
    can be asked in it; LinkRefused says why not ("language": nothing can)."""
    invitation = invitation_for_token(token, now=clock.now())
    _read_in_patients_language(request, invitation)
    user = request.user
    if user.is_authenticated and user.role == Role.FAMILY:
        # A parent never opens a teen's confidential questions (private.py): they go to a
        # check-in of the teen's own, and a check-in of nothing else is refused.
        try:
            invitation = private.keep_from_parent(
                invitation, hidden_from_proxy(user, invitation.patient)[0]
            )
        except private.OnlyForTheTeen as exc:
            raise LinkRefused("private", invitation) from exc
    try:
        return flow.fit_to_reader(invitation, translation.get_language())
    except flow.NotInLanguage as exc:
        detail = {"instruments": exc.instruments, "language": exc.language}
        raise LinkRefused("language", invitation, detail) from exc


def _read_in_patients_language(request, invitation: Invitation) -> None:
    """The patient's preferred language drives a check-in opened by its link; a logged-in
    person (a parent answering for a child) reads in their own, and a choice made with the
    language switch on this browser wins."""
    user = request.user
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or (
        user.reading_language() if user.is_authenticated else ""
    )
    language = chosen or invitation.patient.preferred_language
    if language and translation.check_for_language(language):
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
    locale = {
        "country": invitation.patient.care_team.site.country,
        "language": translation.get_language(),
    }
    if request.session.get(LOCALE_SESSION_KEY) != locale:
        request.session[LOCALE_SESSION_KEY] = locale


def _session_locale(request) -> tuple[str, str]:
    locale = request.session.get(LOCALE_SESSION_KEY) or {}
    return locale.get("country", ""), locale.get("language") or translation.get_language()


# The HTML input of each typed (non-choice) answer; "text" is a textarea.
INPUT_TYPES = {
    "string": "text",
    "open-choice": "text",
    "url": "url",
    "date": "date",
    "dateTime": "datetime-local",
    "time": "time",
    "integer": "number",
    "decimal": "number",
    "quantity": "number",
}


def _typed_value(item, value: Any) -> Any:
    """A stored answer as its HTML input shows it (quantity: the number; dateTime: local)."""
    if isinstance(value, dict):
        return value.get("value", "")  # its unit is shown by the unit select
    if item.type == "dateTime" and isinstance(value, str) and "T" in value:
        moment = dt.datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%dT%H:%M")
    if item.type == "time" and isinstance(value, str):
        return value[:5]
    return value


def _item_context(item, value: Any, error: str | None) -> dict[str, Any]:
    input_type = ""
    unit_chosen = value.get("code") if isinstance(value, dict) else None
    if item.options and item.type not in ("choice", "open-choice"):
        kind = "multi" if item.repeats else "choice"  # integer/date/time/string answerOption
        choices = [(o.code, o.display) for o in item.options]
    elif item.render == "buttons" or (
        item.type == "integer"
        and item.min_value is not None
        and item.max_value is not None
        and item.max_value - item.min_value <= 10
    ):
        kind = "scale"
        choices = [(str(n), str(n)) for n in range(int(item.min_value), int(item.max_value) + 1)]
    elif item.type in ("choice", "open-choice") and item.options:
        kind = "multi" if item.repeats else "choice"
        choices = [(o.code, o.display) for o in item.options]
    elif item.type == "boolean":
        kind, choices = "choice", [("true", gettext("Yes")), ("false", gettext("No"))]
        value = {True: "true", False: "false"}.get(value, value)
    elif item.type == "text":
        kind, choices = "text", []
    else:
        kind, choices, input_type = "input", [], INPUT_TYPES.get(item.type, "text")
        value = _typed_value(item, value)
    codes = {c for c, _ in choices}
    chosen = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    other = ""
    if item.type == "open-choice" and choices:
        other = ", ".join(v for v in chosen if v not in codes and v != "None")
    return {
        "item": item,
        "kind": kind,
        "input_type": input_type,
        "step": "1" if item.type == "integer" else "any",
        "unit": (item.unit or {}).get("unit", "") if len(item.units) < 2 else "",
        "units": [
            (u.get("code", ""), u.get("unit", ""), u.get("code") == unit_chosen) for u in item.units
        ]
        if len(item.units) > 1
        else [],
        "choices": [(c, label, c in chosen) for c, label in choices],
        "value": "" if value is None else value,
        "other": other,
        "open": item.type == "open-choice" and bool(choices),
        "error": error,
        "anchors": (
            [(choices[0][1], item.anchors[0]), (choices[-1][1], item.anchors[1])]
            if item.anchors and choices
            else None
        ),
    }


def _step_or_404(steps: list[flow.Step], number: int) -> flow.Step:
    if not 1 <= number <= len(steps):
        raise Http404("No such page.")
    return steps[number - 1]


@never_cache
def start(request, token: str):
    """The link's page: the greeting and, when nothing is answered yet, the first question,
    so the patient can answer at once (no intro page, no extra request for styles)."""
    try:
        invitation = _open(request, token)
    except LinkRefused as exc:
        return _refused(request, exc)
    record(
        "checkin.opened",
        actor=_actor(request, invitation),
        patient=invitation.patient,
        obj=invitation,
        detail={"via": "link"},
    )
    invitation = flow.fit_to_patient(invitation)
    if invitation.status == InvitationStatus.CANCELLED:  # nothing in it fits the patient now
        return _refused(request, LinkRefused("cancelled", invitation))
    steps = flow.steps_for(invitation)
    answers = flow.draft_answers(invitation)
    resume = next(
        (
            s.number
            for s in steps
            if s.kind == "questions"
            and any(
                i.required and i.link_id not in (answers.get(s.instrument) or {}) for i in s.items
            )
        ),
        len(steps),
    )
    context = {
        "invitation": invitation,
        "token": token,
        "patient": invitation.patient,
        "pages": len(steps),
        "started": bool(answers),
        "resume": resume if answers else 1,
    }
    if not answers and steps[0].kind == "questions":
        context.update(_step_context(invitation, token, steps, steps[0], {}, {}))
    return render(request, "checkins/start.html", context)


def _step_context(invitation, token, steps, current, errors, answers) -> dict[str, Any]:
    return {
        "invitation": invitation,
        "token": token,
        "step": current,
        "total": len(steps),
        "errors": errors,
        # The summary above the questions: each error links to its question.
        "question_errors": [
            (f"#q-{i.link_id}", Truncator(i.text).words(8, truncate=" …"), errors[i.link_id])
            for i in current.items
            if i.link_id in errors
        ],
        "fields": [
            _item_context(i, answers.get(i.link_id), errors.get(i.link_id)) for i in current.items
        ],
    }


@never_cache
def step(request, token: str, number: int):
    try:
        invitation = _open(request, token)
    except LinkRefused as exc:
        return _refused(request, exc)
    steps = flow.steps_for(invitation)
    current = _step_or_404(steps, number)
    if current.kind == "review":
        return _review(request, token, invitation, steps, current)
    errors: dict[str, str] = {}
    actor = _actor(request, invitation)
    if request.method == "POST":
        action = request.POST.get("action", "next")
        answers, errors = flow.read_page(current, request.POST)
        if action == "next" and not errors:
            errors = flow.missing_required(current, answers)
        if not errors or action != "next":
            # Going back (or stopping) keeps what was given, even if incomplete.
            valid = {k: v for k, v in answers.items() if k not in errors}
            invitation = flow.save_page_atomically(invitation, current, answers=valid, actor=actor)
            errors = {} if action != "next" else errors
        if not errors:
            if action == "stop":
                return render(request, "checkins/stopped.html", {"token": token})
            steps = flow.steps_for(invitation)  # branching may have added or removed pages
            target = number - 1 if action == "back" else number + 1
            return redirect("checkin-step", token=token, number=max(1, min(target, len(steps))))
    answers = flow.draft_answers(invitation).get(current.instrument) or {}
    if request.method == "POST" and errors:
        # Show what was just typed, not the older draft.
        posted, _ = flow.read_page(current, request.POST)
        answers = {**answers, **posted}
    context = _step_context(invitation, token, steps, current, errors, answers)
    return render(request, "checkins/step.html", context, status=400 if errors else 200)


def _review(
    request,
    token,
    invitation,
    steps,
    current,
    status: int = 200,
    free_text: str | None = None,
    free_text_error: str = "",
):
    """The last page: every answer with its "Change" link, and the one free-text box."""
    if free_text is None:
        free_text = (invitation.draft or {}).get("free_text", "")
    return render(
        request,
        "checkins/review.html",
        {
            "invitation": invitation,
            "token": token,
            "step": current,
            "total": len(steps),
            "rows": flow.review_rows(invitation, steps),
            "free_text": free_text,
            "max_free_text": MAX_FREE_TEXT,
            "back_step": current.number - 1,
            "free_text_error": free_text_error,
        },
        status=status,
    )


@never_cache
@require_POST
def submit(request, token: str):
    try:
        invitation = _open(request, token)
    except LinkRefused as exc:
        if exc.reason == "completed" and exc.invitation is not None:
            # A double tap on "Send": show the result of the first.
            done = CheckinResponse.objects.filter(invitation=exc.invitation).first()
            if done is not None and done.pk in request.session.get(RESULTS_SESSION_KEY, []):
                return redirect("checkin-done")
        return _refused(request, exc)
    draft = invitation.draft or {}
    try:
        if "free_text" in request.POST:
            # The one free-text box is on the review page: keep it in the draft first, so
            # that it survives a failed send like the answers do; a message too long to
            # store is shown again whole, with how much to shorten it (nothing is cut).
            typed = request.POST.get("free_text", "")
            too_long = flow.free_text_error(typed)
            if too_long:
                steps = flow.steps_for(invitation)
                return _review(
                    request,
                    token,
                    invitation,
                    steps,
                    steps[-1],
                    status=400,
                    free_text=typed,
                    free_text_error=too_long,
                )
            invitation = flow.save_page_atomically(
                invitation,
                flow.steps_for(invitation)[-1],
                free_text=typed,
                actor=_actor(request, invitation),
            )
        draft = invitation.draft or {}
        country, language = _session_locale(request)
        result = store_checkin(
            invitation=invitation,
            country=country,
            language=language,
            answers=draft.get("answers") or {},
            free_text=draft.get("free_text", ""),
            idempotency_key=web_idempotency_key(invitation),
            submitted_by=_actor(request, invitation),
            source="web",
        )
    except CheckinInvalid as exc:
        # Not sent, and the draft is kept: no "nothing was changed" for the patient.
        show_service_error(request, exc, refused=False)
        steps = flow.steps_for(invitation)
        return _review(request, token, invitation, steps, steps[-1], status=400)
    except CheckinClosed:
        return _refused(request, LinkRefused("expired", invitation))
    if isinstance(result, NotStored):
        # Nothing was stored (one transaction) and the draft is kept: say so, offer to send
        # again, and show crisis help from the answers alone, without the database.
        return not_sent_page(request, token, result)
    seen = request.session.get(RESULTS_SESSION_KEY, [])
    request.session[RESULTS_SESSION_KEY] = [*seen[-9:], result.response.pk]
    return redirect("checkin-done")


def sent_already(token: str) -> bool:
    """Whether the check-in of this link is stored (False when the database cannot say)."""
    try:
        digest = token_digest_for(token)
        return digest is not None and (
            CheckinResponse.objects.filter(invitation__tokens__digest=digest).exists()
        )
    except DatabaseError:
        return False


def not_sent_page(request, token: str, outcome: NotStored):
    return render(
        request,
        "checkins/not_sent.html",
        {
            "token": token,
            "crisis": outcome.crisis,
            "crisis_resources": outcome.crisis_resources,
            "crisis_country": outcome.country,
        },
        status=503,
    )


@never_cache
def done(request):
    """The answer to a check-in just sent from this browser (its id is kept in the session)."""
    ids = request.session.get(RESULTS_SESSION_KEY, [])
    if not ids:
        raise Http404("No check-in was sent from this browser.")
    response = CheckinResponse.objects.select_related("patient__care_team__site").get(pk=ids[-1])
    own = request.user.is_authenticated and request.user.reading_language()
    if response.language and not own and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        translation.activate(response.language)  # the answer reads as the questions did
        request.LANGUAGE_CODE = translation.get_language()
    messages = list(response.messages.order_by("-crisis", "pk"))
    crisis = any(m.crisis for m in messages) or item9_positive(response.answers)
    record(
        "checkin.result_viewed",
        actor=request.user,
        patient=response.patient,
        obj=response,
        detail={"messages": len(messages), "crisis": crisis},
    )
    return render(
        request,
        "checkins/done.html",
        {
            "response": response,
            "patient": response.patient,
            "messages_": messages,
            "crisis": crisis,
            "crisis_resources": crisis_resources(
                team_told=told_team(response), country=response.patient.care_team.site.country
            )
            if crisis
            else "",
            "crisis_country": response.patient.care_team.site.country,
        },
    )


@login_required
def my_checkins(request):
    """Check-ins due for the logged-in patient, or for the children a parent answers for."""
    if request.user.role not in PATIENT_SIDE_ROLES:
        raise Http404("Not found.")
    due = due_for_user(request.user)
    return render(request, "checkins/my_checkins.html", {"due": due})


@login_required
@require_POST
def begin(request, pk: int):
    """Open a due check-in from the portal: a fresh link token, then the usual flow."""
    with transaction.atomic():
        invitation = invitation_for_user(request.user, pk)
        token = issue_token(invitation, purpose="portal")
        record(
            "checkin.link_issued",
            actor=request.user,
            patient=invitation.patient,
            acting_for=invitation.patient if request.user.role == Role.FAMILY else None,
            obj=invitation,
            detail={"purpose": "portal"},
        )
    return redirect("checkin-start", token=token)
