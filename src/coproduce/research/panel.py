"""The advisory panel's work: sending panel surveys, answering them, what the team sees.

Survey links are made like check-in links (checkins.tokens: only the digest is stored) and
leave through the notification outbox with no patient attached: panel members are not
patients. Answering a survey accrues the panel's per-survey incentive in the same
transaction, exactly once (incentives.accrue).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.checkins.tokens import LinkRefused, find_by_token, new_token
from coproduce.people.models import Role, User
from coproduce.platform import clock
from coproduce.platform.models import Channel, Notification
from coproduce.registry.summary import suppress
from coproduce.research.incentive_models import RuleKind
from coproduce.research.incentives import accrue
from coproduce.research.panel_models import (
    AgeGroup,
    Material,
    MaterialVersion,
    Panel,
    PanelMember,
    PanelSurvey,
    QuestionKind,
    SurveyInvitation,
    SurveyResponse,
)

LINK_DAYS = 21
MAX_TEXT = 2000


def member_for(user: User) -> PanelMember:
    """Return the logged-in panel member; anyone else gets 404."""
    if getattr(user, "role", None) != Role.PANELIST or not user.is_active:
        raise Http404("Not found.")
    try:
        return PanelMember.objects.select_related("panel__study").get(user=user)
    except PanelMember.DoesNotExist:
        raise Http404("Not found.") from None


def active_members(panel: Panel, *, on: dt.date) -> list[PanelMember]:
    return [
        m
        for m in panel.members.select_related("user")
        if m.joined_on <= on and (m.left_on is None or m.left_on > on) and m.user.is_active
    ]


def survey_url(token: str) -> str:
    return settings.COPRODUCE_BASE_URL.rstrip("/") + reverse("panel-survey", args=[token])


def send_survey(
    survey: PanelSurvey, *, by: User | None, now: dt.datetime | None = None
) -> dict[int, str]:
    """Send a single-use link to every active member not asked yet; return {member: token}."""
    now = now or clock.now()
    today = clock.clinic_today(ZoneInfo(survey.panel.time_zone), now)
    asked = set(survey.invitations.values_list("member_id", flat=True))
    tokens = {}
    for member in active_members(survey.panel, on=today):
        if member.pk in asked:
            continue
        token, digest = new_token()
        invitation = SurveyInvitation.objects.create(
            survey=survey,
            member=member,
            digest=digest,
            sent_to=member.email,
            created_at=now,
            expires_at=now + dt.timedelta(days=LINK_DAYS),
        )
        body = render_to_string(
            "research/panel/survey_link.txt",
            {"member": member, "survey": survey, "link": survey_url(token), "days": LINK_DAYS},
        ).strip()
        Notification.objects.create(
            channel=Channel.EMAIL,
            to=member.email,
            subject=_("The advisory panel: %(title)s") % {"title": survey.title},
            body=body,
            purpose="panel_survey",
            dedupe_key=f"panel-survey:{invitation.pk}",
            next_attempt_at=now,
            created_at=now,
        )
        tokens[member.pk] = token
    record(
        "panel.survey_sent",
        actor=by,
        obj=survey,
        detail={"survey": survey.pk, "members": sorted(tokens)},
    )
    return tokens


def invitation_for_token(token: str, *, now: dt.datetime) -> SurveyInvitation:
    """Return the open invitation a link opens, or raise LinkRefused saying why."""
    invitation = find_by_token(
        SurveyInvitation.objects.select_related("survey__version__material", "member__panel"),
        token,
    )
    if invitation is None:
        raise LinkRefused("unknown")
    return check_open(invitation, now=now)


def check_open(invitation: SurveyInvitation, *, now: dt.datetime) -> SurveyInvitation:
    if invitation.completed_at is not None:
        raise LinkRefused("completed")
    member = invitation.member
    if invitation.expires_at <= now or member.left_on is not None or not member.user.is_active:
        raise LinkRefused("expired")
    return invitation


def invitation_for_member(member: PanelMember, pk: int) -> SurveyInvitation:
    """One of the member's own invitations (from their home page); anyone else's is 404."""
    try:
        return SurveyInvitation.objects.select_related(
            "survey__version__material", "member__panel"
        ).get(member=member, pk=pk)
    except (SurveyInvitation.DoesNotExist, ValueError):
        raise Http404("No such survey.") from None


def waiting_for(member: PanelMember, *, now: dt.datetime) -> list[SurveyInvitation]:
    return list(
        member.invitations.filter(completed_at__isnull=True, expires_at__gt=now)
        .select_related("survey__version__material")
        .order_by("expires_at")
    )


def clean_answers(survey: PanelSurvey, raw: dict[str, str]) -> dict[str, str]:
    """Return the answers to keep, or raise ValidationError keyed by question id."""
    errors: dict[str, list[str]] = {}
    answers: dict[str, str] = {}
    for q in survey.questions:
        value = (raw.get(q["id"]) or "").strip()
        if q["kind"] == QuestionKind.CHOICE:
            if value not in q["options"]:
                errors[q["id"]] = [_("Choose one answer.")]
                continue
        elif len(value) > MAX_TEXT:
            errors[q["id"]] = [_("Please keep this under %(n)s characters.") % {"n": MAX_TEXT}]
            continue
        answers[q["id"]] = value
    if errors:
        raise ValidationError(errors)
    return answers


def submit(
    invitation: SurveyInvitation,
    raw: dict[str, str],
    *,
    by: User | None = None,
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Store the answers once and accrue the panel's per-survey incentive once.

    A second submit (a retry, another tab) returns the first response and changes nothing.
    """
    now = now or clock.now()
    locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    earlier = SurveyResponse.objects.filter(invitation=locked).first()
    if earlier is not None:
        return earlier
    check_open(locked, now=now)
    answers = clean_answers(invitation.survey, raw)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                invitation=locked, answers=answers, submitted_at=now
            )
    except IntegrityError:  # answered meanwhile (SQLite has no row locks to wait on)
        return SurveyResponse.objects.get(invitation=locked)
    SurveyInvitation.objects.filter(pk=locked.pk).update(completed_at=now)
    member = invitation.member
    for rule in member.panel.rules.filter(kind=RuleKind.PER_SURVEY):
        accrue(rule, source=f"panel-survey:{invitation.survey_id}", earned_at=now, member=member)
    record(
        "panel.survey_answered",
        actor=by,
        obj=response,
        detail={"survey": invitation.survey_id, "member": member.member_id},
    )
    return response


# -- what the study team sees -----------------------------------------------------------


@dataclass(frozen=True)
class Group:
    label: str
    count: int | None  # None: suppressed (a small cell)
    percent: int | None


def _groups(values: list[str], labels: dict[str, str] | None = None) -> list[Group]:
    """Count self-described values (grouped case- and space-insensitively), small cells hidden."""
    spellings: dict[str, Counter[str]] = {}
    counts: Counter[str] = Counter()
    for value in values:
        tidy = " ".join(value.split())
        key = tidy.casefold()
        spellings.setdefault(key, Counter())[tidy] += 1
        counts[key] += 1
    # Each group is shown as its members most often spell it.
    shown = {key: spelled.most_common(1)[0][0] for key, spelled in spellings.items()}
    total = len(values)
    out = []
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        label = (labels or {}).get(shown[key], shown[key]) or _("Not said")
        count = suppress(n)
        out.append(Group(label, count, round(100 * n / total) if count is not None else None))
    return out


def representativeness(panel: Panel, *, on: dt.date) -> dict[str, list[Group]]:
    """The panel's make-up by self-described region, age group, gender and ethnicity."""
    members = active_members(panel, on=on)
    ages = {value: str(label) for value, label in AgeGroup.choices}
    return {
        _("Region"): _groups([m.region for m in members]),
        _("Age group"): _groups([m.age_group for m in members], ages),
        _("Gender"): _groups([m.gender for m in members]),
        _("Ethnicity"): _groups([m.ethnicity for m in members]),
    }


@dataclass(frozen=True)
class QuestionFeedback:
    text: str
    tallies: list[tuple[str, int]]
    comments: list[str]


@dataclass(frozen=True)
class SurveyFeedback:
    survey: PanelSurvey
    asked: int
    answered: int
    questions: list[QuestionFeedback]


def feedback(material: Material) -> list[tuple[MaterialVersion, list[SurveyFeedback]]]:
    """Each version of a material with the panel's answers to the surveys about it."""
    out = []
    for version in material.versions.prefetch_related("surveys__invitations__response"):
        surveys = []
        for survey in version.surveys.all():
            invitations = list(survey.invitations.all())
            answers = [inv.response.answers for inv in invitations if hasattr(inv, "response")]
            questions = []
            for q in survey.questions:
                given = [a.get(q["id"], "") for a in answers]
                if q["kind"] == QuestionKind.CHOICE:
                    count = Counter(given)
                    questions.append(
                        QuestionFeedback(q["text"], [(o, count[o]) for o in q["options"]], [])
                    )
                else:
                    questions.append(QuestionFeedback(q["text"], [], [g for g in given if g]))
            surveys.append(SurveyFeedback(survey, len(invitations), len(answers), questions))
        out.append((version, surveys))
    return out


def materials_of(panel: Panel) -> list[Material]:
    return list(panel.study.materials.prefetch_related("versions"))
