"""Before each taper step: a suggestion from the weekly check-ins since the last change.

Part of the EMPOWER-style taper (see ``taper``): the response to the previous decrease
decides the next step (Darnall et al., trial NCT03222544). The thresholds below are
coproduce's documented choices; each says why. They compare the latest check-ins with the
levels *before* the last dose change, so a patient is judged against herself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_noop, pgettext_lazy

from coproduce.careplans.taper import PlanState, PlanStatus, shown_text, to_decimal

D = Decimal

#: Pain up >= 2 points on 0-10 -> HOLD. Two points (~30 %) is the usual clinically
#: important change on a 0-10 pain scale (Farrar et al., Pain 2001), and EMPOWER's success
#: outcome tolerates at most +1 point.
PAIN_HOLD_RISE = D(2)
#: Pain up >= 3 points -> SLOW: a rise well beyond the clinically important change.
PAIN_SLOW_RISE = D(3)
#: Pain up >= 4 points on each of the last two weekly check-ins -> STEP_BACK_UP.
PAIN_STEP_BACK_RISE = D(4)
#: SOWS (0-64, 16 items 0-4) has no validated bands (CLINICAL.md). 16 means on average
#: "a little" on every symptom: worth waiting for it to settle (HOLD; SLOW if rising two
#: weeks running). To be reviewed by the clinical lead.
WITHDRAWAL_CONCERN_SOWS = 16
#: 32 means on average "moderately" on every symptom; two weeks running -> STEP_BACK_UP.
WITHDRAWAL_SEVERE_SOWS = 32
#: Comfort with the current dose 0-10 (higher = more comfortable): <= 3 -> HOLD.
COMFORT_HOLD_MAX = 3
#: PHQ-9 up >= 5 points -> HOLD and flag mood: 5 points is the PHQ-9's clinically
#: significant change (Kroenke & Spitzer 2002; Löwe et al. 2004). CDC 2022 asks teams to
#: watch mood and suicidality during tapers.
PHQ9_WORSENING = 5
#: Satisfaction with the taper 0-10: <= 3 does not block a step but flags a conversation.
SATISFACTION_LOW_MAX = 3


class SuggestionKind(StrEnum):
    GO_AHEAD = "go_ahead"
    HOLD = "hold"
    SLOW = "slow"
    STEP_BACK_UP = "step_back_up"


_SEVERITY = list(SuggestionKind)


@dataclass(frozen=True)
class WeeklyCheckin:
    """One weekly check-in. Pain is 0-10 (NRS or PEG mean); comfort/satisfaction 0-10."""

    on: date
    pain: Decimal | int | float | None = None
    withdrawal_sows: int | None = None
    phq9: int | None = None
    phq9_item9: int | None = None
    comfort: int | None = None
    satisfaction: int | None = None
    intolerable: bool = False


@dataclass(frozen=True)
class Baseline:
    """Levels before the last dose change (for example the check-in just before it)."""

    pain: Decimal | int | float | None = None
    withdrawal_sows: int | None = None
    phq9: int | None = None


#: Every reason a suggestion can give: code -> (kind, plain-language text). The code and the
#: parameters are what a decision stores; the text is shown in the reader's language.
REASONS: dict[str, tuple[SuggestionKind, str]] = {
    "go_ahead": (
        SuggestionKind.GO_AHEAD,
        gettext_noop(
            "Your check-ins since the last change look steady; the next step can go ahead."
        ),
    ),
    "paused": (
        SuggestionKind.HOLD,
        gettext_noop("Your taper is paused, as you asked; it restarts when you say."),
    ),
    "stopped": (SuggestionKind.HOLD, gettext_noop("You chose to stay at your current dose.")),
    "no_checkins": (
        SuggestionKind.HOLD,
        gettext_noop(
            "We need to hear from you first: please fill in a check-in before the next step."
        ),
    ),
    "self_harm": (
        SuggestionKind.HOLD,
        gettext_noop(
            "You told us about thoughts of hurting yourself. "
            "Someone from your team will contact you today."
        ),
    ),
    "intolerable": (
        SuggestionKind.STEP_BACK_UP,
        gettext_noop("You told us this dose is too hard to bear."),
    ),
    "pain_severe": (
        SuggestionKind.STEP_BACK_UP,
        gettext_noop(
            "Your pain has been much worse than before the last change for two weeks running."
        ),
    ),
    "withdrawal_severe": (
        SuggestionKind.STEP_BACK_UP,
        gettext_noop("Your withdrawal symptoms have been strong for two weeks running."),
    ),
    "pain_slow": (
        SuggestionKind.SLOW,
        gettext_noop("Your pain is {pain_rise} points higher than before the last change."),
    ),
    "pain_hold": (
        SuggestionKind.HOLD,
        gettext_noop("Your pain is {pain_rise} points higher than before the last change."),
    ),
    "withdrawal_rising": (
        SuggestionKind.SLOW,
        gettext_noop("Your withdrawal symptoms have risen two weeks in a row."),
    ),
    "withdrawal_hold": (
        SuggestionKind.HOLD,
        gettext_noop(
            "You have noticeable withdrawal symptoms; let them settle before the next step."
        ),
    ),
    "low_comfort": (
        SuggestionKind.HOLD,
        gettext_noop("You are not comfortable with your current dose yet."),
    ),
    "mood": (
        SuggestionKind.HOLD,
        gettext_noop("Your mood has dropped since the last change; let's talk first."),
    ),
    "missing_ratings": (
        SuggestionKind.HOLD,
        gettext_noop("We need your pain and comfort ratings to suggest the next step."),
    ),
    "low_satisfaction": (
        SuggestionKind.GO_AHEAD,
        gettext_noop(
            "You are unhappy with how the taper is going: you can slow or pause it at any time."
        ),
    ),
    "no_previous_dose": (
        SuggestionKind.HOLD,
        gettext_noop(
            "There is no earlier dose in this plan to go back to; your team will call you."
        ),
    ),
    "step_back": (
        SuggestionKind.STEP_BACK_UP,
        gettext_noop(
            "We suggest going back to your previous dose of {previous} MME/day; "
            "your team will confirm."
        ),
    ),
}
#: Codes that do not mean the patient reported a problem.
NOT_A_CONCERN = frozenset({"go_ahead", "paused", "stopped", "no_checkins", "low_satisfaction"})


#: What each flag asks the team to talk about, as the clinician reads it.
FLAGS = {
    "safety": pgettext_lazy("taper flag", "safety (self-harm or overdose)"),
    "withdrawal": pgettext_lazy("taper flag", "withdrawal symptoms"),
    "mood": pgettext_lazy("taper flag", "mood"),
    "discuss_plan": pgettext_lazy("taper flag", "how the patient feels about the plan"),
}


def reason_text(code: str, params: Mapping[str, str] | None = None) -> str:
    """The reason `code` in the active language, filled with `params`."""
    return shown_text(REASONS[code][1], params or {})


@dataclass(frozen=True)
class Suggestion:
    kind: SuggestionKind
    codes: tuple[str, ...]
    flags: frozenset[str] = field(default_factory=frozenset)
    step_back_to_mme: Decimal | None = None
    #: What the reasons' {placeholders} are filled with (pain_rise, previous).
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def reason_keys(self) -> tuple[str, ...]:
        """Each reason's text key (its English msgid), in the order of ``codes``."""
        return tuple(REASONS[code][1] for code in self.codes)

    @property
    def reasons(self) -> tuple[str, ...]:
        """One plain-language reason per code, in the reader's (active) language."""
        return tuple(reason_text(code, self.params) for code in self.codes)

    @property
    def flag_labels(self) -> list[str]:
        """The flags in words, in the reader's language (the codes stay in the data)."""
        return [str(FLAGS[f]) for f in sorted(self.flags)]

    @property
    def raises_concern(self) -> bool:
        """Whether the patient reported a problem (not just a paused plan or silence)."""
        return bool(set(self.codes) - NOT_A_CONCERN)


def _rise(value: Decimal | int | float | None, base: Decimal | int | float | None) -> Decimal:
    if value is None or base is None:
        return D(0)
    return to_decimal(value) - to_decimal(base)


def _rising_twice(values: list[int | None]) -> bool:
    known = [v for v in values if v is not None]
    return (
        len(known) >= 3
        and known[-3] < known[-2] < known[-1]
        and known[-2] >= WITHDRAWAL_CONCERN_SOWS
    )


def suggest_next_step(
    checkins_since_last_change: Sequence[WeeklyCheckin],
    baseline: Baseline,
    plan_state: PlanState,
) -> Suggestion:
    """GO_AHEAD, HOLD, SLOW or STEP_BACK_UP before the next step, with plain-language reasons.

    Every rule that fires adds its reason (see ``REASONS``); the most cautious kind wins.
    STEP_BACK_UP means the dose before the last decrease, confirmed by the team.
    """
    codes: list[str] = []
    flags: set[str] = set()
    if plan_state.status is PlanStatus.PAUSED:
        codes.append("paused")
    elif plan_state.status is PlanStatus.STOPPED:
        codes.append("stopped")
    checkins = sorted(checkins_since_last_change, key=lambda c: c.on)
    if not checkins:
        return _decide([*codes, "no_checkins"], flags, plan_state, D(0))
    latest = checkins[-1]
    last_two = checkins[-2:] if len(checkins) >= 2 else []
    pain_rise = _rise(latest.pain, baseline.pain)

    if any((c.phq9_item9 or 0) > 0 for c in checkins):
        flags.add("safety")
        codes.append("self_harm")
    if latest.intolerable:
        codes.append("intolerable")
    if last_two and all(_rise(c.pain, baseline.pain) >= PAIN_STEP_BACK_RISE for c in last_two):
        codes.append("pain_severe")
    if last_two and all((c.withdrawal_sows or 0) >= WITHDRAWAL_SEVERE_SOWS for c in last_two):
        flags.add("withdrawal")
        codes.append("withdrawal_severe")
    if pain_rise >= PAIN_SLOW_RISE:
        codes.append("pain_slow")
    elif pain_rise >= PAIN_HOLD_RISE:
        codes.append("pain_hold")
    if _rising_twice([baseline.withdrawal_sows, *(c.withdrawal_sows for c in checkins)]):
        flags.add("withdrawal")
        codes.append("withdrawal_rising")
    elif (latest.withdrawal_sows or 0) >= WITHDRAWAL_CONCERN_SOWS:
        flags.add("withdrawal")
        codes.append("withdrawal_hold")
    if latest.comfort is not None and latest.comfort <= COMFORT_HOLD_MAX:
        codes.append("low_comfort")
    if _rise(latest.phq9, baseline.phq9) >= PHQ9_WORSENING:
        flags.add("mood")
        codes.append("mood")
    if latest.pain is None and latest.comfort is None:
        codes.append("missing_ratings")
    if latest.satisfaction is not None and latest.satisfaction <= SATISFACTION_LOW_MAX:
        flags.add("discuss_plan")
        codes.append("low_satisfaction")
    return _decide(codes, flags, plan_state, pain_rise)


def _decide(codes: list[str], flags: set[str], state: PlanState, pain_rise: Decimal) -> Suggestion:
    if all(REASONS[code][0] is SuggestionKind.GO_AHEAD for code in codes):
        codes.insert(0, "go_ahead")
    kind = max((REASONS[code][0] for code in codes), key=_SEVERITY.index)
    back_to = None
    if kind is SuggestionKind.STEP_BACK_UP:
        if state.previous_mme is None:
            kind = SuggestionKind.HOLD
            codes.append("no_previous_dose")
        else:
            back_to = state.previous_mme
            codes.append("step_back")
    values = {
        "pain_rise": f"{pain_rise.normalize():f}",
        "previous": f"{back_to.normalize():f}" if back_to is not None else "",
    }
    return Suggestion(kind, tuple(codes), frozenset(flags), back_to, values)
