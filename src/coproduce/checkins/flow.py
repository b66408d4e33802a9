"""The check-in flow: which pages a check-in has, and turning a page's form into answers.

Pages follow the instruments' own structure (a FHIR group is a page, long groups are split),
skip questions the branching rules do not ask, and end with a free-text page and a review.
Answers are saved to the invitation's draft after every page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from coproduce.audit.services import record
from coproduce.checkins.models import OPEN_STATUSES, Invitation, InvitationStatus
from coproduce.checkins.services import MAX_FREE_TEXT, clean_free_text
from coproduce.checkins.taper_fit import (
    TAPER_INSTRUMENTS,
    cancel_if_nothing_fits,
    taper_under_way,
)
from coproduce.instruments.definitions import Definition, Item
from coproduce.instruments.expressions import calculated_values
from coproduce.instruments.library import get_definition, unavailable_in
from coproduce.instruments.results import InvalidResponse
from coproduce.instruments.scoring import validate_answers, with_calculated
from coproduce.platform import clock

# A paper PHQ-9 is one page: up to nine questions share a page when none of them waits for
# an answer on that same page (an enableWhen); fewer pages mean fewer taps on "Next".
MAX_ITEMS_PER_PAGE = 9
OTHER = "__other"
UNIT = "__unit"  # the unit chosen for a quantity with several unitOptions


#: An instrument's own "anything else?" box, left out because every check-in ends with one
#: box for the team (on the review page): one free-text box per check-in, not two. How the
#: patient likes to partner stays a choice; anything more about it goes in that one box.
FOLDED_INTO_FREE_TEXT = frozenset(
    {("taper-weekly", "taper-note"), ("previsit", "previsit-partner-note")}
)




@dataclass
class Step:
    kind: str  # "questions" or "review" (which holds the free-text box)
    number: int
    title: str
    instrument: str = ""
    definition: Definition | None = None
    items: list[Item] = field(default_factory=list)
    recall_note: str = ""


def _waits_for_an_answer(item: Item) -> bool:
    return bool(item.enable_when or item.enable_expression)


def _recall_note(previous: Definition | None, current: Definition) -> str:
    """Where the period asked about changes (each instrument states its own, e.g. PHQ-9
    "the last 2 weeks"), say so; "" where it does not, or either has none."""
    before = previous.recall_period if previous is not None else ""
    now = current.recall_period
    if not before or not now or before == now:
        return ""
    return gettext("From here on the questions are about %(now)s, not %(before)s.") % {
        "now": gettext(now),
        "before": gettext(before),
    }


def fit_to_patient(invitation: Invitation) -> Invitation:
    """Drop the taper questions from a check-in when the patient has no taper under way
    (taper_fit.py: active or paused); a check-in of nothing else is cancelled instead.

    Invitations are planned ahead; whether a taper is under way is decided when the
    check-in is opened, and the invitation is changed then (its draft answers to a dropped
    instrument go with it).
    """
    taper = [i for i in invitation.instruments if i in TAPER_INSTRUMENTS]
    if not taper or invitation.status not in OPEN_STATUSES:
        return invitation
    if taper_under_way(invitation.patient_id):
        return invitation
    if len(taper) == len(invitation.instruments):
        cancel_if_nothing_fits(invitation)  # rather than ask the taper questions of nobody
        return invitation
    return _drop(invitation, taper, {"reason": "no taper plan under way"})


class NotInLanguage(Exception):
    """Nothing left to ask in the reader's language: every instrument not yet begun lacks an
    official text in it. The invitation is left as it is (another language may open it)."""

    def __init__(self, invitation: Invitation, instruments: list[str], language: str) -> None:
        super().__init__(invitation.pk, instruments, language)
        self.invitation = invitation
        self.instruments = instruments
        self.language = language


def fit_to_reader(invitation: Invitation, language: str) -> Invitation:
    """Drop from an open check-in the instruments that have no official text in the language
    it is read in (never an English question to a patient who asked for Spanish).

    The schedule already plans only what the patient's language allows; this covers a check-in
    planned before the patient changed language, or read in another one (the language switch).
    An instrument already begun stays: its answers are the patient's and are never thrown away.
    The drop is audited, with the language, for the team. Raises NotInLanguage when nothing
    would be left to ask.
    """
    if invitation.status not in OPEN_STATUSES:
        return invitation
    begun = set(draft_answers(invitation))
    missing = [i for i in unavailable_in(list(invitation.instruments), language) if i not in begun]
    if not missing:
        return invitation
    if len(missing) == len(invitation.instruments):
        raise NotInLanguage(invitation, missing, language)
    return _drop(
        invitation, missing, {"reason": "no official text in the language", "language": language}
    )


def _drop(invitation: Invitation, instruments: list[str], why: dict[str, str]) -> Invitation:
    """Take `instruments` (and their draft answers) out of an open invitation, audited."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        invitation.instruments = [i for i in invitation.instruments if i not in instruments]
        draft = dict(invitation.draft or {})
        if draft.get("answers"):
            draft["answers"] = {k: v for k, v in draft["answers"].items() if k not in instruments}
            invitation.draft = draft
        invitation.save(update_fields=["instruments", "draft"])
        record(
            "checkin.fitted",
            actor=None,
            patient=invitation.patient,
            obj=invitation,
            detail={"dropped": list(instruments), **why},
        )
    return invitation


def draft_answers(invitation: Invitation) -> dict[str, dict[str, Any]]:
    return dict((invitation.draft or {}).get("answers") or {})


def steps_for(invitation: Invitation) -> list[Step]:
    """Return the pages of `invitation` given the answers saved so far."""
    answers = draft_answers(invitation)
    steps: list[Step] = []
    previous: Definition | None = None
    for instrument_id in invitation.instruments:
        definition = get_definition(instrument_id)
        given = with_calculated(definition, answers.get(instrument_id) or {})
        first_of_instrument = True
        for page in definition.pages:
            asked = [
                i
                for i in page.items
                if i.asked
                and (instrument_id, i.link_id) not in FOLDED_INTO_FREE_TEXT
                and definition.is_enabled(i, given, screening=invitation.screening)
            ]
            last = steps[-1] if steps else None
            if (
                asked
                and not first_of_instrument
                and last is not None
                and last.instrument == instrument_id
                and not invitation.screening
                and not any(_waits_for_an_answer(i) for i in asked)
                and len(last.items) + len(asked) <= MAX_ITEMS_PER_PAGE
            ):
                last.items.extend(asked)  # the next group of the same instrument fits here
                continue
            for start in range(0, len(asked), MAX_ITEMS_PER_PAGE):
                steps.append(
                    Step(
                        "questions",
                        len(steps) + 1,
                        page.text or definition.title,
                        instrument_id,
                        definition,
                        asked[start : start + MAX_ITEMS_PER_PAGE],
                        _recall_note(previous, definition) if first_of_instrument else "",
                    )
                )
                first_of_instrument = False
        if definition.recall_period:
            previous = definition  # short "this week" blocks keep the period before them
    steps.append(Step("review", len(steps) + 1, gettext("Check your answers")))
    return steps


def _raw_from_post(item: Item, post) -> Any:
    name = item.link_id
    other = (post.get(name + OTHER) or "").strip()
    if item.repeats:
        values = [v for v in post.getlist(name) if v]
        if other:
            values.append(other)
        return values
    value = (post.get(name) or "").strip()
    unit = (post.get(name + UNIT) or "").strip()
    if item.type == "quantity" and value and unit:
        return {"value": value, "code": unit}
    if item.type == "open-choice" and other and value in ("", OTHER):
        return other
    return "" if value == OTHER else value


def read_page(step: Step, post) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (cleaned answers of this page, errors by linkId) from a submitted form."""
    assert step.definition is not None
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in step.items:
        raw = _raw_from_post(item, post)
        if raw in ("", []):
            continue
        try:
            cleaned = validate_answers(step.definition, {item.link_id: raw})
        except InvalidResponse as exc:
            errors[item.link_id] = exc.message
            continue
        answers.update(cleaned)
    return answers, errors


def missing_required(step: Step, answers: dict[str, Any]) -> dict[str, str]:
    return {
        i.link_id: gettext("Please choose an answer.")
        if i.options or i.render
        else gettext("Please answer.")
        for i in step.items
        if i.required and i.link_id not in answers
    }


def free_text_error(text: str) -> str:
    """What to tell the patient when their message is too long to store ("" when it fits)."""
    length = len(clean_free_text(text))
    if length <= MAX_FREE_TEXT:
        return ""
    over = length - MAX_FREE_TEXT
    return ngettext(
        "Your message is %(length)s characters long; the most we can send is %(max)s. "
        "Please shorten it by %(over)s character. Nothing was cut: your words are below.",
        "Your message is %(length)s characters long; the most we can send is %(max)s. "
        "Please shorten it by %(over)s characters. Nothing was cut: your words are below.",
        over,
    ) % {
        "length": f"{length:,}",
        "max": f"{MAX_FREE_TEXT:,}",
        "over": f"{over:,}",
    }


def save_page(
    invitation: Invitation,
    step: Step,
    answers: dict[str, Any] | None = None,
    *,
    free_text: str | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> Invitation:
    """Merge one page's answers into the draft (the caller owns the transaction)."""
    now = now or clock.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    draft = dict(invitation.draft or {})
    all_answers = dict(draft.get("answers") or {})
    if step.kind == "questions":
        mine = dict(all_answers.get(step.instrument) or {})
        for item in step.items:  # an answer cleared on this page is removed from the draft
            mine.pop(item.link_id, None)
        mine.update(answers or {})
        all_answers[step.instrument] = mine
    if free_text is not None:
        cleaned = clean_free_text(free_text)
        if free_text_error(cleaned):  # never cut the patient's words silently
            raise ValueError("free text over the limit; check it with free_text_error first")
        draft["free_text"] = cleaned
    draft["answers"] = all_answers
    draft["saved_at"] = now.isoformat()
    invitation.draft = draft
    fields = ["draft"]
    if invitation.status in (InvitationStatus.SCHEDULED, InvitationStatus.SENT):
        invitation.status = InvitationStatus.IN_PROGRESS
        fields.append("status")
    invitation.save(update_fields=fields)
    record(
        "checkin.saved",
        actor=actor,
        patient=invitation.patient,
        obj=invitation,
        detail={"page": step.number, "instrument": step.instrument or step.kind},
    )
    return invitation


def save_page_atomically(invitation: Invitation, step: Step, **kwargs) -> Invitation:
    with transaction.atomic():
        return save_page(invitation, step, **kwargs)


def display_answer(item: Item, value: Any) -> str:
    """Return an answer as the patient chose it (option text, not its code)."""
    if isinstance(value, list):
        return ", ".join(display_answer(item, v) for v in value)
    option = item.by_code.get(str(value))
    if option is not None:
        return option.display
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):  # a quantity
        return f"{display_answer(item, value.get('value', ''))} {value.get('unit', '')}".strip()
    if item.type == "dateTime" and isinstance(value, str):
        return date_format(timezone.localtime(dt.datetime.fromisoformat(value)), "DATETIME_FORMAT")
    return str(value)


def _calculated_rows(last_step: Step, given: dict[str, Any]) -> list[dict[str, Any]]:
    definition = last_step.definition
    assert definition is not None
    try:
        computed = calculated_values(definition, validate_answers(definition, given))
    except InvalidResponse:
        return []
    return [
        {
            "step": None,
            "text": item.text,
            "answer": display_answer(item, computed[item.link_id]),
            "required": False,
            "calculated": True,
        }
        for item in definition.items
        if item.read_only and item.link_id in computed
    ]


def review_rows(invitation: Invitation, steps: list[Step]) -> list[dict[str, Any]]:
    """Each asked item with its answer, then each instrument's computed items (read-only)."""
    answers = draft_answers(invitation)
    rows: list[dict[str, Any]] = []
    for n, step in enumerate(steps):
        if step.kind != "questions":
            continue
        given = answers.get(step.instrument) or {}
        for item in step.items:
            value = given.get(item.link_id)
            rows.append(
                {
                    "step": step.number,
                    "text": item.text,
                    "answer": display_answer(item, value) if value not in (None, "", []) else "",
                    "required": item.required,
                }
            )
        if n + 1 == len(steps) or steps[n + 1].instrument != step.instrument:
            rows += _calculated_rows(step, given)
    return rows
