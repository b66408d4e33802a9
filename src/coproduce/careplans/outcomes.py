"""EMPOWER "tapering success" at 12 months, per patient and per cohort.

Registered primary outcome of EMPOWER (Darnall et al., trial NCT03222544), comparing
12 months with baseline:

* branch A: daily MME reduced by >= 50 % AND pain intensity (0-10) up by no more than
  1 point; or
* branch B: no increase in daily MME AND pain intensity down by >= 2 points.

The 12-month value is the observation nearest day 365 after baseline within ±30 days
(a monthly visit either side still counts; anything further is missing, not imputed).
MME and pain are picked separately, because prescriptions and surveys arrive on different
days. On a tie the earlier observation wins, so the result does not depend on the data
that arrived last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext

from coproduce.careplans.taper import to_decimal

D = Decimal

#: Day of the 12-month assessment, counted from the baseline date.
TWELVE_MONTHS_DAYS = 365
#: How far either side of day 365 an observation may fall.
WINDOW_DAYS = 30
#: Branch A: MME at 12 months must be at most half of baseline (>= 50 % reduction).
MME_REDUCTION_FRACTION = D("0.5")
#: Branch A: pain may rise by at most 1 point.
PAIN_RISE_ALLOWED = D(1)
#: Branch B: pain must fall by at least 2 points.
PAIN_FALL_REQUIRED = D(2)


class Branch(StrEnum):
    MME_HALVED_PAIN_STABLE = "mme_halved_pain_stable"
    PAIN_IMPROVED_NO_MME_INCREASE = "pain_improved_no_mme_increase"
    BOTH = "both"


@dataclass(frozen=True)
class Observation:
    """A dated daily MME and/or pain intensity (0-10)."""

    on: date
    mme: Decimal | int | float | None = None
    pain: Decimal | int | float | None = None


@dataclass(frozen=True)
class TaperingSuccess:
    """``success`` is None when data are missing; ``reason`` then says what is missing."""

    success: bool | None
    branch: Branch | None
    reason: str
    baseline_on: date
    baseline_mme: Decimal | None
    baseline_pain: Decimal | None
    month12_mme: Decimal | None
    month12_mme_on: date | None
    month12_pain: Decimal | None
    month12_pain_on: date | None


@dataclass(frozen=True)
class CohortRate:
    """Share of patients with a known result who met tapering success."""

    n: int
    successes: int
    missing: int
    rate: Decimal | None


def _dec(value: Decimal | int | float | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def nearest_to_twelve_months(
    baseline_on: date,
    observations: Iterable[Observation],
    value: Callable[[Observation], Decimal | int | float | None],
) -> Observation | None:
    """The observation with a value nearest day 365 within ±30 days (ties: the earlier)."""
    candidates = []
    for obs in observations:
        offset = (obs.on - baseline_on).days - TWELVE_MONTHS_DAYS
        if value(obs) is not None and abs(offset) <= WINDOW_DAYS:
            candidates.append((abs(offset), obs.on, obs))
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1]))[2]


def tapering_success(baseline: Observation, follow_up: Iterable[Observation]) -> TaperingSuccess:
    """EMPOWER tapering success at 12 months versus ``baseline``."""
    follow = list(follow_up)
    mme_obs = nearest_to_twelve_months(baseline.on, follow, lambda o: o.mme)
    pain_obs = nearest_to_twelve_months(baseline.on, follow, lambda o: o.pain)
    base_mme, base_pain = _dec(baseline.mme), _dec(baseline.pain)
    mme12 = _dec(mme_obs.mme) if mme_obs else None
    pain12 = _dec(pain_obs.pain) if pain_obs else None

    def result(success: bool | None, branch: Branch | None, reason: str) -> TaperingSuccess:
        return TaperingSuccess(
            success,
            branch,
            reason,
            baseline.on,
            base_mme,
            base_pain,
            mme12,
            mme_obs.on if mme_obs else None,
            pain12,
            pain_obs.on if pain_obs else None,
        )

    if base_mme is None or base_pain is None or mme12 is None or pain12 is None:
        missing = [
            label
            for label, value in (
                (gettext("baseline MME"), base_mme),
                (gettext("baseline pain"), base_pain),
                (gettext("12-month MME (day 335-395)"), mme12),
                (gettext("12-month pain (day 335-395)"), pain12),
            )
            if value is None
        ]
        return result(None, None, gettext("missing %(what)s") % {"what": ", ".join(missing)})
    if base_mme <= 0:
        return result(None, None, gettext("baseline MME must be above 0 to measure a reduction"))

    halved = mme12 <= base_mme * MME_REDUCTION_FRACTION
    pain_change = pain12 - base_pain
    branch_a = halved and pain_change <= PAIN_RISE_ALLOWED
    branch_b = mme12 <= base_mme and -pain_change >= PAIN_FALL_REQUIRED
    if branch_a and branch_b:
        return result(True, Branch.BOTH, gettext("MME halved with stable pain, and pain down >= 2"))
    if branch_a:
        return result(
            True, Branch.MME_HALVED_PAIN_STABLE, gettext("MME down >= 50 %, pain up <= 1")
        )
    if branch_b:
        return result(
            True,
            Branch.PAIN_IMPROVED_NO_MME_INCREASE,
            gettext("no MME increase, pain down >= 2"),
        )
    return result(False, None, gettext("neither branch met"))


def cohort_success_rate(results: Iterable[TaperingSuccess]) -> CohortRate:
    """Success rate over results with known outcome; missing ones are counted, not included."""
    all_results = list(results)
    known = [r for r in all_results if r.success is not None]
    successes = sum(1 for r in known if r.success)
    rate = D(successes) / len(known) if known else None
    return CohortRate(len(known), successes, len(all_results) - len(known), rate)
