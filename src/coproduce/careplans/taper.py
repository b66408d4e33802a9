"""Patient-paced opioid taper, after the EMPOWER study model.

EMPOWER (Darnall et al., trial NCT03222544; pilot: Darnall et al., JAMA Intern Med 2018)
tapers only with the patient's agreement: the patient chooses the pace and can slow, pause
or stop at any time, dose increases are allowed, and the response to the previous decrease
decides the next step, judged from weekly symptom check-ins.

Guidance behind the numbers (CDC 2022 Clinical Practice Guideline for Prescribing Opioids
for Pain, MMWR RR-71(3), recommendation 5): never taper abruptly; after >= 1 year of use
reduce about 10 % per month or slower; after shorter use about 10 % per week may be
tolerated; pause when needed; slow down as lower doses and the final steps are reached;
follow up at least monthly. VA/DoD 2017 opioid guideline and VA Opioid Taper Decision
Tool: a gradual taper reduces 5-20 % every four weeks.

The suggestion before each step, from the weekly check-ins, lives in ``suggestions``.
Everything here is pure: dates in, decisions out. Storage, alerts and audit belong to the
services that call these functions.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from math import ceil
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext

from coproduce.careplans.choices import PlanStatus, RequestKind
from coproduce.careplans.mme import DEFAULT_TABLE, MCG_PER_HR, daily_mme

D = Decimal

# --- Pace limits ------------------------------------------------------------------------

#: No pace may average more than 10 % per week: CDC 2022 names ~10 %/week as the fastest
#: rate "may be tolerated", and only after short-term use.
MAX_PERCENT_PER_WEEK = D(10)
#: No single step may exceed 20 %: the top of the VA/DoD "5-20 % every four weeks" range.
#: This also rules out immediate discontinuation (a 100 % step).
MAX_STEP_PERCENT = D(20)
#: Below 30 % of the starting dose the step percentage is halved: our concrete rule for
#: CDC 2022's "slow the taper as patients reach lower dosages". 30 % is roughly where the
#: last third of a taper begins, when withdrawal and pain flares are most often reported.
LOW_DOSE_FRACTION = D("0.30")
LOW_DOSE_STEP_FACTOR = D("0.5")
#: Without a tablet regimen, a dated schedule stops at 5 MME/day (about one of the smallest
#: common tablets): the final steps, and whether to stop at all, are planned with the team
#: (CDC 2022: slow down at the final steps; HHS 2019 guide: at the smallest available dose,
#: lengthen the interval between doses).
FINAL_STEPS_MME = D(5)
#: MME-only schedules are kept to 0.1 MME/day, rounded up so a step never exceeds the pace.
MME_QUANTUM = D("0.1")
#: A guard against endless schedules; 520 steps is 20 years at two-weekly steps.
MAX_STEPS = 520

# --- Requests, alerts, comfortable dose ---------------------------------------------------

#: Every patient request needs a team answer within 3 days (PRO-TECT forwarded alerts
#: within 72 h; CLINICAL.md).
TEAM_RESPONSE_DAYS = 3
#: Any single reduction > 25 % is flagged as abrupt, planned or not.
ABRUPT_REDUCTION_PERCENT = D(25)
#: A dispensed dose may sit this far below the planned one before it is flagged
#: (pack sizes and pharmacy rounding).
PLAN_MARGIN_PERCENT = D(5)
#: A planned step may happen this many days early (refill timing) without a flag.
PLAN_DATE_TOLERANCE_DAYS = 7
#: A dose is "comfortable" once held >= 4 weeks with no concern raised: one CDC minimum
#: follow-up interval (at least monthly) and enough for post-step withdrawal to settle.
COMFORTABLE_WEEKS = 4


class UnsafePaceError(ValueError):
    """A pace that would taper too fast, or discontinue at once."""


class TaperInputError(ValueError):
    """A schedule cannot be built from these inputs."""


def shown_text(key: str, params: Mapping[str, Any] | None = None) -> str:
    """A stored text key (an English msgid with {placeholders}) in the active language.

    Numbers in `params` are written as the reader's locale writes them (2.5 / 2,5).
    """

    def local(value: Any) -> str:
        try:
            return formats.number_format(D(str(value)), use_l10n=True)
        except (InvalidOperation, ValueError, TypeError):
            return str(value)

    text = gettext(key) if key else ""
    return text.format(**{name: local(value) for name, value in (params or {}).items()})


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    """Return `value` as an exact Decimal (floats through their shortest repr)."""
    return value if isinstance(value, Decimal) else D(str(value))


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Pace:
    """Reduce by ``percent`` of the current dose every N weeks or every N calendar months."""

    percent: Decimal
    every_weeks: int = 0
    every_months: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "percent", to_decimal(self.percent))
        if (self.every_weeks > 0) == (self.every_months > 0) or min(
            self.every_weeks, self.every_months
        ) < 0:
            raise UnsafePaceError(
                gettext("a pace needs exactly one positive interval: weeks or months")
            )
        if self.percent <= 0:
            raise UnsafePaceError(gettext("a taper step must reduce the dose (percent > 0)"))
        if self.percent > MAX_STEP_PERCENT:
            raise UnsafePaceError(
                gettext(
                    "a %(percent)s %% step is too abrupt: at most %(limit)s %% at once, "
                    "and never an immediate stop"
                )
                % {"percent": self.percent, "limit": MAX_STEP_PERCENT}
            )
        if self.percent_per_week > MAX_PERCENT_PER_WEEK:
            raise UnsafePaceError(
                gettext("%(pace)s averages %(rate)s %% a week; the limit is %(limit)s %% a week")
                % {
                    "pace": self.label,
                    "rate": f"{self.percent_per_week:.1f}",
                    "limit": MAX_PERCENT_PER_WEEK,
                }
            )

    @property
    def weeks(self) -> Decimal:
        """Interval in weeks; a month counts as 4 so the weekly rate is never understated."""
        return D(self.every_weeks or self.every_months * 4)

    @property
    def percent_per_week(self) -> Decimal:
        return self.percent / self.weeks

    @property
    def label(self) -> str:
        """The pace in the reader's (active) language: "10 % every month"."""
        values = {"percent": f"{self.percent.normalize():f}"}
        if self.every_months:
            values["n"] = str(self.every_months)
            text = ngettext(
                "%(percent)s %% every month", "%(percent)s %% every %(n)s months", self.every_months
            )
        else:
            values["n"] = str(self.every_weeks)
            text = ngettext(
                "%(percent)s %% every week", "%(percent)s %% every %(n)s weeks", self.every_weeks
            )
        return text % values

    def after(self, day: date, intervals: int = 1) -> date:
        """The date ``intervals`` paces after ``day``."""
        if self.every_months:
            return _add_months(day, self.every_months * intervals)
        return day + timedelta(weeks=self.every_weeks * intervals)

    def slower(self) -> Pace:
        """The next slower option: 10 % becomes 5 %; at 5 % or less the interval doubles."""
        if self.percent > 5:
            return replace(self, percent=D(5))
        return replace(self, every_weeks=self.every_weeks * 2, every_months=self.every_months * 2)


FIVE_PERCENT_EVERY_4_WEEKS = Pace(D(5), every_weeks=4)
FIVE_PERCENT_EVERY_2_WEEKS = Pace(D(5), every_weeks=2)
TEN_PERCENT_EVERY_4_WEEKS = Pace(D(10), every_weeks=4)
TEN_PERCENT_EVERY_2_WEEKS = Pace(D(10), every_weeks=2)
#: CDC 2022 default after >= 1 year of opioid use: 10 % per month or slower.
TEN_PERCENT_EVERY_MONTH = Pace(D(10), every_months=1)

#: The safe options a patient chooses from, slowest first.
PACE_OPTIONS: tuple[Pace, ...] = (
    FIVE_PERCENT_EVERY_4_WEEKS,
    TEN_PERCENT_EVERY_MONTH,
    FIVE_PERCENT_EVERY_2_WEEKS,
    TEN_PERCENT_EVERY_4_WEEKS,
    TEN_PERCENT_EVERY_2_WEEKS,
)


def default_pace(months_of_use: int | None) -> Pace:
    """The pace offered first: CDC's 10 %/month after >= 12 months of use or when unknown."""
    if months_of_use is None or months_of_use >= 12:
        return TEN_PERCENT_EVERY_MONTH
    return TEN_PERCENT_EVERY_2_WEEKS


# --- Schedules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Regimen:
    """The real medicine: ``daily_amount`` of ``drug`` taken as ``doses_per_day`` doses.

    ``dose_unit`` is the smallest practical amount (a 5 mg tablet, or 2.5 mg if the
    tablet may be halved; a 12 mcg/hr patch). Every scheduled daily amount is a multiple
    of it.
    """

    drug: str
    daily_amount: Decimal
    dose_unit: Decimal
    doses_per_day: int = 1
    unit: str = "mg"
    table: str = DEFAULT_TABLE

    def mme(self, amount: Decimal) -> Decimal:
        per_day = None if self.unit == MCG_PER_HR else 1
        result = daily_mme(self.drug, amount, self.unit, per_day, table=self.table).mme
        if result is None:
            raise TaperInputError(
                gettext("%(drug)s has no MME factor; plan its taper with the team")
                % {"drug": self.drug}
            )
        return result

    def split(self, amount: Decimal) -> tuple[Decimal, ...]:
        """Spread a daily amount over the day in whole dose units, larger doses first."""
        if self.unit == MCG_PER_HR or self.doses_per_day == 1:
            return (amount,)
        units, remainder = divmod(amount, self.dose_unit)
        if remainder:
            return (amount / self.doses_per_day,) * self.doses_per_day
        q, r = divmod(int(units), self.doses_per_day)
        doses = [(q + 1) * self.dose_unit] * r + [q * self.dose_unit] * (self.doses_per_day - r)
        return tuple(d for d in doses if d > 0)


class EndReason(StrEnum):
    TARGET_REACHED = "target_reached"
    FINAL_STEPS_WITH_TEAM = "final_steps_with_team"
    SMALLER_UNIT_NEEDED = "smaller_unit_needed"
    STEP_LIMIT = "step_limit"


#: Shown under a schedule: the plan keeps only its EndReason, so these follow the reader.
END_NOTES = {
    EndReason.TARGET_REACHED: gettext_lazy("This schedule reaches the goal you chose."),
    EndReason.FINAL_STEPS_WITH_TEAM: gettext_lazy(
        "The last steps, including whether and when to stop, are planned with your team "
        "(CDC 2022: go slower at the final steps)."
    ),
    EndReason.SMALLER_UNIT_NEEDED: gettext_lazy(
        "Going lower needs a smaller tablet strength or a liquid so that no single step is "
        "too big; talk with your team."
    ),
    EndReason.STEP_LIMIT: gettext_lazy("The schedule was cut off; rebuild it later."),
}

# A step's note is stored as its key and parameters and shown with ``shown_text``.
NOTE_STARTING_DOSE = gettext_noop("starting dose")
NOTE_SMALLER_STEPS = gettext_noop("smaller steps at lower doses")
NOTE_ONE_UNIT = gettext_noop("one {amount} {unit} unit, spaced out to keep the pace")
NOTE_BACK_UP = gettext_noop("back up to the previous dose")


@dataclass(frozen=True)
class TaperStep:
    number: int
    on: date
    daily_mme: Decimal
    change_percent: Decimal
    daily_amount: Decimal | None = None
    doses: tuple[Decimal, ...] = ()
    #: A key (``NOTE_*``) with its ``note_params``; ``shown_text`` writes it for a reader.
    note: str = ""
    note_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaperSchedule:
    start_mme: Decimal
    target_mme: Decimal
    pace: Pace
    steps: tuple[TaperStep, ...]
    end_reason: EndReason
    regimen: Regimen | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        return (str(END_NOTES[self.end_reason]),)

    def planned_mme_on(self, day: date) -> Decimal | None:
        """The planned daily MME in force on ``day`` (None before the schedule starts)."""
        planned = None
        for step in self.steps:
            if step.on > day:
                break
            planned = step.daily_mme
        return planned


def _step_percent(current: Decimal, start: Decimal, pace: Pace) -> Decimal:
    if current < start * LOW_DOSE_FRACTION:
        return pace.percent * LOW_DOSE_STEP_FACTOR
    return pace.percent


def percent_change(old: Decimal, new: Decimal) -> Decimal:
    return ((new - old) / old * 100).quantize(D("0.1"), ROUND_HALF_UP)


def build_schedule(
    start_date: date,
    start: Decimal | int | float | Regimen,
    pace: Pace,
    *,
    target_mme: Decimal | int | float = 0,
    original_start_mme: Decimal | int | float | None = None,
) -> TaperSchedule:
    """Dated steps from ``start`` down to ``target_mme`` at ``pace``; step 0 is today's dose.

    Each step cuts ``pace.percent`` of the *current* dose, halved below 30 % of the
    original start. With a ``Regimen`` the daily amount is rounded *up* to whole dose
    units, so rounding never makes a step bigger than the pace; when even one unit is more
    than the pace allows, the step is one unit and the interval is lengthened so the
    average rate stays within the pace, and the schedule ends if one unit would be more
    than ``MAX_STEP_PERCENT``. Pass ``original_start_mme`` when rebuilding a plan mid-way.
    """
    target = to_decimal(target_mme)
    if target < 0:
        raise TaperInputError(gettext("target_mme cannot be negative"))
    if isinstance(start, Regimen):
        if start.daily_amount <= 0 or start.dose_unit <= 0 or start.doses_per_day < 1:
            raise TaperInputError(
                gettext("a regimen needs a positive daily amount, unit and doses/day")
            )
        return _regimen_schedule(start_date, start, pace, target, original_start_mme)
    start_mme = to_decimal(start)
    if start_mme <= 0:
        raise TaperInputError(gettext("the starting dose must be greater than 0 MME/day"))
    reference = to_decimal(original_start_mme) if original_start_mme is not None else start_mme
    steps = [TaperStep(0, start_date, start_mme, D(0), note=NOTE_STARTING_DOSE)]
    current, day, reason = start_mme, start_date, EndReason.STEP_LIMIT
    while len(steps) <= MAX_STEPS:
        if current <= target:
            reason = EndReason.TARGET_REACHED
            break
        if current <= FINAL_STEPS_MME:
            reason = EndReason.FINAL_STEPS_WITH_TEAM
            break
        percent = _step_percent(current, reference, pace)
        new = (current * (1 - percent / 100) / MME_QUANTUM).to_integral_value(ROUND_CEILING)
        new = max(new * MME_QUANTUM, target)
        day = pace.after(day)
        slowed = NOTE_SMALLER_STEPS if percent < pace.percent else ""
        steps.append(TaperStep(len(steps), day, new, percent_change(current, new), note=slowed))
        current = new
    return TaperSchedule(start_mme, target, pace, tuple(steps), reason)


def _regimen_schedule(
    start_date: date,
    regimen: Regimen,
    pace: Pace,
    target: Decimal,
    original_start_mme: Decimal | int | float | None,
) -> TaperSchedule:
    unit = regimen.dose_unit
    amount = regimen.daily_amount
    current = start_mme = regimen.mme(amount)
    reference = to_decimal(original_start_mme) if original_start_mme is not None else start_mme
    steps = [
        TaperStep(0, start_date, current, D(0), amount, regimen.split(amount), NOTE_STARTING_DOSE)
    ]
    day, reason = start_date, EndReason.STEP_LIMIT
    while len(steps) <= MAX_STEPS:
        if current <= target:
            reason = EndReason.TARGET_REACHED
            break
        percent = _step_percent(current, reference, pace)
        new = (amount * (1 - percent / 100) / unit).to_integral_value(ROUND_CEILING) * unit
        intervals, note = 1, NOTE_SMALLER_STEPS if percent < pace.percent else ""
        note_params: dict[str, str] = {}
        if new >= amount:
            # One dose unit is more than this step's percentage: take one unit, less often.
            new = (amount / unit).to_integral_value(ROUND_CEILING) * unit - unit
            if new <= 0:
                reason = EndReason.FINAL_STEPS_WITH_TEAM
                break
            drop = (amount - new) / amount * 100
            if drop > MAX_STEP_PERCENT:
                reason = EndReason.SMALLER_UNIT_NEEDED
                break
            intervals = ceil(drop / percent)
            note = NOTE_ONE_UNIT
            note_params = {"amount": f"{unit.normalize():f}", "unit": regimen.unit}
        if regimen.mme(new) < target:
            # Stop at the smallest whole-unit amount that is still at or above the target.
            while regimen.mme(new) < target:
                new += unit
            if new >= amount:
                reason = EndReason.TARGET_REACHED
                break
        day = pace.after(day, intervals)
        new_mme = regimen.mme(new)
        steps.append(
            TaperStep(
                len(steps),
                day,
                new_mme,
                percent_change(current, new_mme),
                new,
                regimen.split(new),
                note,
                note_params,
            )
        )
        amount, current = new, new_mme
    return TaperSchedule(start_mme, target, pace, tuple(steps), reason, regimen)


# --- Plan state and patient requests -------------------------------------------------------


@dataclass(frozen=True)
class PatientRequest:
    kind: RequestKind
    on: date


@dataclass(frozen=True)
class PlanState:
    """Where a taper stands. ``previous_mme`` is the dose before the last decrease."""

    status: PlanStatus
    pace: Pace
    start_mme: Decimal
    current_mme: Decimal
    target_mme: Decimal = Decimal(0)
    previous_mme: Decimal | None = None
    last_change_on: date | None = None
    requests: tuple[PatientRequest, ...] = ()


@dataclass(frozen=True)
class RequestOutcome:
    state: PlanState
    message_to_patient: str
    team_actions: tuple[str, ...]
    respond_by: date
    #: Always True: the team answers every request, even one that changes nothing.
    needs_team_response: bool = True


def apply_patient_request(state: PlanState, kind: RequestKind | str, when: date) -> RequestOutcome:
    """The plan after a patient's pause / slow / stop / resume request, and what the team must do.

    The texts are in the active language (the service stores the team's in English).
    Stop means "stay at the current dose": the taper ends, the medicine does not.
    """
    kind = RequestKind(kind)
    logged = (*state.requests, PatientRequest(kind, when))
    dose = gettext("%(mme)s MME/day") % {"mme": f"{state.current_mme.normalize():f}"}
    reply = ngettext(
        "Reply to the patient within %(days)s day to confirm.",
        "Reply to the patient within %(days)s days to confirm.",
        TEAM_RESPONSE_DAYS,
    ) % {"days": TEAM_RESPONSE_DAYS}
    actions: tuple[str, ...]
    if kind is RequestKind.PAUSE:
        new = replace(state, status=PlanStatus.PAUSED, requests=logged)
        message = gettext(
            "Your taper is paused at %(dose)s. Nothing changes until you are ready."
        ) % {"dose": dose}
        actions = (reply, gettext("Keep prescribing the current dose with no gap in supply."))
    elif kind is RequestKind.SLOW:
        new = replace(state, pace=state.pace.slower(), requests=logged)
        message = gettext("Your taper will go slower: %(new)s instead of %(old)s.") % {
            "new": new.pace.label,
            "old": state.pace.label,
        }
        actions = (
            reply,
            gettext("Rebuild the dated schedule at %(pace)s.") % {"pace": new.pace.label},
        )
    elif kind is RequestKind.STOP:
        new = replace(
            state, status=PlanStatus.STOPPED, target_mme=state.current_mme, requests=logged
        )
        message = gettext(
            "You will stay at your current dose of %(dose)s. Stopping the taper never means "
            "stopping your medicine suddenly."
        ) % {"dose": dose}
        actions = (
            reply,
            gettext(
                "Keep prescribing %(dose)s; record it as the dose the patient chose to stay at."
            )
            % {"dose": dose},
            gettext("Do not discontinue or reduce without a new agreement with the patient."),
        )
    elif kind is RequestKind.INCREASE:
        # EMPOWER lets the patient go back up. A higher dose is a prescription the team
        # writes, so the taper holds at today's dose until they have talked it through.
        back_to = state.previous_mme if state.previous_mme is not None else state.start_mme
        new = replace(state, status=PlanStatus.PAUSED, requests=logged)
        earlier = gettext("%(mme)s MME/day") % {"mme": f"{back_to.normalize():f}"}
        message = gettext(
            "You asked to go back up. Your taper is paused at %(dose)s, with no further cuts, "
            "and your team will talk with you about returning to %(earlier)s."
        ) % {"dose": dose, "earlier": earlier}
        actions = (
            reply,
            gettext(
                "Talk with the patient about going back up to %(earlier)s (the dose before the "
                "last cut) and record the decision."
            )
            % {"earlier": earlier},
        )
    else:
        new = replace(state, status=PlanStatus.ACTIVE, requests=logged)
        message = gettext(
            "You asked to restart your taper. Your team will agree the next date with you."
        )
        actions = (
            reply,
            gettext("Agree the next step date, no sooner than one interval (%(pace)s).")
            % {"pace": state.pace.label},
        )
    return RequestOutcome(new, message, actions, when + timedelta(days=TEAM_RESPONSE_DAYS))
