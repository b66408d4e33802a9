"""Reviewing the dose history: changes outside the taper plan and the lowest comfortable dose.

Pure functions over dated daily-MME records; the thresholds live with the rest of the taper
rules in ``taper``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_noop

from coproduce.careplans.taper import (
    ABRUPT_REDUCTION_PERCENT,
    COMFORTABLE_WEEKS,
    PLAN_DATE_TOLERANCE_DAYS,
    PLAN_MARGIN_PERCENT,
    TaperSchedule,
    percent_change,
    to_decimal,
)

D = Decimal


# --- Changes outside the plan ----------------------------------------------------------


@dataclass(frozen=True)
class DoseRecord:
    on: date
    daily_mme: Decimal


class FindingKind(StrEnum):
    ABRUPT_REDUCTION = "abrupt_reduction"
    REDUCTION_BEYOND_PLAN = "reduction_beyond_plan"
    UNPLANNED_INCREASE = "unplanned_increase"


RESTARTED = gettext_noop("Restarted at {new} MME/day, not in the plan.")
WENT_UP = gettext_noop("Dose went up {change} % ({old} → {new} MME/day), not in the plan.")
CUT_ABRUPTLY = gettext_noop("Dose cut by {change} % at once ({old} → {new} MME/day): too abrupt.")
CUT_BELOW_PLAN = gettext_noop("Dose cut to {new} MME/day; the plan says {planned} MME/day.")


@dataclass(frozen=True)
class DoseFinding:
    kind: FindingKind
    on: date
    from_mme: Decimal
    to_mme: Decimal
    change_percent: Decimal
    planned_mme: Decimal | None
    #: The alert reason's key (an English msgid with {placeholders}) and its parameters.
    key: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The finding in English, as the alert's reason column keeps it."""
        return self.key.format(**self.params)


def detect_unplanned_changes(
    history: Iterable[DoseRecord],
    schedule: TaperSchedule | None,
    *,
    agreed_increases: Iterable[date] = (),
) -> list[DoseFinding]:
    """Dose changes that need a look: > 25 % cuts, cuts below the plan, unplanned increases.

    A cut is "below the plan" when the new dose is more than ``PLAN_MARGIN_PERCENT`` under
    the lowest dose planned up to ``PLAN_DATE_TOLERANCE_DAYS`` later (refills come early).
    Increases are always findings unless their date is in ``agreed_increases``.
    """
    agreed = set(agreed_increases)
    records = sorted(history, key=lambda r: r.on)
    findings: list[DoseFinding] = []
    for before, after in itertools.pairwise(records):
        old, new = to_decimal(before.daily_mme), to_decimal(after.daily_mme)
        if new == old or old == 0:
            if old == 0 and new > 0 and after.on not in agreed:
                findings.append(
                    DoseFinding(
                        FindingKind.UNPLANNED_INCREASE,
                        after.on,
                        old,
                        new,
                        D(0),
                        None,
                        RESTARTED,
                        {"new": f"{new}"},
                    )
                )
            continue
        change = percent_change(old, new)
        planned = None
        if schedule is not None:
            planned = schedule.planned_mme_on(after.on + timedelta(days=PLAN_DATE_TOLERANCE_DAYS))
        if new > old:
            if after.on not in agreed:
                findings.append(
                    DoseFinding(
                        FindingKind.UNPLANNED_INCREASE,
                        after.on,
                        old,
                        new,
                        change,
                        planned,
                        WENT_UP,
                        {"change": f"{change}", "old": f"{old}", "new": f"{new}"},
                    )
                )
        elif -change > ABRUPT_REDUCTION_PERCENT:
            findings.append(
                DoseFinding(
                    FindingKind.ABRUPT_REDUCTION,
                    after.on,
                    old,
                    new,
                    change,
                    planned,
                    CUT_ABRUPTLY,
                    {"change": f"{-change}", "old": f"{old}", "new": f"{new}"},
                )
            )
        elif planned is not None and new < planned * (1 - PLAN_MARGIN_PERCENT / 100):
            findings.append(
                DoseFinding(
                    FindingKind.REDUCTION_BEYOND_PLAN,
                    after.on,
                    old,
                    new,
                    change,
                    planned,
                    CUT_BELOW_PLAN,
                    {"new": f"{new}", "planned": f"{planned}"},
                )
            )
    return findings


# --- Lowest comfortable dose -----------------------------------------------------------


@dataclass(frozen=True)
class ComfortableDose:
    daily_mme: Decimal
    since: date
    until: date


def lowest_comfortable_dose(
    history: Iterable[DoseRecord],
    concerns: Iterable[date],
    *,
    as_of: date,
    min_weeks: int = COMFORTABLE_WEEKS,
) -> ComfortableDose | None:
    """The lowest dose held >= ``min_weeks`` weeks with no concern raised while on it.

    A dose is held from its record's date until the next record (or ``as_of``).
    ``concerns`` are the dates of check-ins whose ``suggestions.Suggestion.raises_concern`` (HOLD,
    SLOW or STEP_BACK_UP for a reported problem; a paused plan or a missed check-in does
    not count). Ties go to the most recent period.
    """
    concern_days = sorted(set(concerns))
    records = sorted(history, key=lambda r: r.on)
    best: ComfortableDose | None = None
    for index, record in enumerate(records):
        until = records[index + 1].on if index + 1 < len(records) else as_of
        if until > as_of:
            until = as_of
        if (until - record.on) < timedelta(weeks=min_weeks):
            continue
        if any(record.on <= day < until for day in concern_days):
            continue
        dose = to_decimal(record.daily_mme)
        if best is None or dose <= best.daily_mme:
            best = ComfortableDose(dose, record.on, until)
    return best
