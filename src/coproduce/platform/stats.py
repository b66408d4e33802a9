"""Small statistics every app may use: a proportion with its Wilson score interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Two-sided 95 %: the 0.975 quantile of the standard normal distribution.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    successes: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Proportion:
    """`successes`/`n` with the Wilson score interval (no continuity correction).

    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    JASA 22 (1927) 209-212; method 3 of R. G. Newcombe, "Two-sided confidence intervals for
    the single proportion: comparison of seven methods", Stat Med 17 (1998) 857-872, whose
    Table I examples the tests reproduce. Unlike the Wald interval it stays inside [0, 1]
    and behaves at 0 and n, which matters for small arms.
    """
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return Proportion(successes, n, None, None, None)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return Proportion(successes, n, p, max(0.0, centre - half), min(1.0, centre + half))
