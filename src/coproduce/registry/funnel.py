"""Funnel-plot limits for comparing sites on a proportion.

Follows Spiegelhalter DJ. Funnel plots for comparing institutional performance.
Stat Med 2005;24:1185-1202, appendix A.1.1: exact binomial limits around a target p0 at
95 % ("2 SD", tail probabilities 0.025 / 0.975) and 99.8 % ("3 SD", 0.001 / 0.999), with
his interpolation for the discrete distribution. For tail probability q let r be the
q-quantile of Binomial(n, p0) (the smallest r with P(Y <= r) >= q) and

    alpha = (P(Y <= r) - q) / (P(Y <= r) - P(Y <= r - 1)),   limit = (r - alpha) / n.

The limit is clipped to [0, 1]: at r = 0 the interpolation can point below zero.
No over-dispersion adjustment is made here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TAILS = {0.95: (0.025, 0.975), 0.998: (0.001, 0.999)}

Status = Literal["within", "above", "below"]


@dataclass(frozen=True)
class FunnelLimits:
    """The 95 % and 99.8 % limits of a proportion around target for denominator n."""

    n: int
    target: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float


@dataclass(frozen=True)
class SiteResult:
    """One site's proportion, its limits at the chosen level and where it falls."""

    events: int
    total: int
    proportion: float
    lower: float
    upper: float
    status: Status


def _binomial_pmf(n: int, p: float) -> list[float]:
    log_p, log_q = math.log(p), math.log1p(-p)
    return [
        math.exp(
            math.lgamma(n + 1)
            - math.lgamma(k + 1)
            - math.lgamma(n - k + 1)
            + k * log_p
            + (n - k) * log_q
        )
        for k in range(n + 1)
    ]


def binomial_limit(n: int, target: float, tail: float) -> float:
    """Return Spiegelhalter's interpolated binomial limit for tail probability `tail`."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0 <= target <= 1 or not 0 < tail < 1:
        raise ValueError("target must be in [0, 1] and tail in (0, 1)")
    if target in (0.0, 1.0):
        return target  # a degenerate distribution: every site should sit on the target
    below = 0.0  # P(Y <= r - 1)
    for r, mass in enumerate(_binomial_pmf(n, target)):
        at_or_below = below + mass
        if at_or_below >= tail:
            alpha = (at_or_below - tail) / mass
            return min(1.0, max(0.0, (r - alpha) / n))
        below = at_or_below
    return 1.0  # rounding left the total mass a hair under `tail`


def funnel_limits(ns: Sequence[int], target: float) -> list[FunnelLimits]:
    """Return the 95 % and 99.8 % limits around target for each denominator in ns."""
    limits = []
    for n in ns:
        lo95, hi95 = (binomial_limit(n, target, t) for t in TAILS[0.95])
        lo998, hi998 = (binomial_limit(n, target, t) for t in TAILS[0.998])
        limits.append(FunnelLimits(n, target, lo95, hi95, lo998, hi998))
    return limits


def classify_sites(
    events: Sequence[int],
    totals: Sequence[int],
    *,
    target: float | None = None,
    level: float = 0.998,
) -> list[SiteResult]:
    """Classify each site as within, above or below the funnel at level 0.95 or 0.998.

    The target defaults to the pooled proportion Σevents/Σtotals. A site exactly on a
    limit is within.
    """
    if level not in TAILS:
        raise ValueError("level must be 0.95 or 0.998")
    if len(events) != len(totals) or not totals:
        raise ValueError("events and totals must be non-empty and of the same length")
    if any(t < 1 for t in totals) or any(
        not 0 <= e <= t for e, t in zip(events, totals, strict=True)
    ):
        raise ValueError("each total must be positive and each count between 0 and its total")
    p0 = sum(events) / sum(totals) if target is None else target
    low_tail, high_tail = TAILS[level]
    results = []
    for e, t in zip(events, totals, strict=True):
        lower, upper = binomial_limit(t, p0, low_tail), binomial_limit(t, p0, high_tail)
        proportion = e / t
        status: Status = (
            "above" if proportion > upper else "below" if proportion < lower else "within"
        )
        results.append(SiteResult(e, t, proportion, lower, upper, status))
    return results
