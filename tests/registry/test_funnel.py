"""Funnel-plot limits (Spiegelhalter 2005) against brute force and the normal approximation."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest import approx

from coproduce.registry.funnel import binomial_limit, classify_sites, funnel_limits


def _interpolated_limit_by_brute_force(n: int, p0: Fraction, tail: Fraction) -> float:
    """Spiegelhalter's appendix A.1.1 in exact rational arithmetic."""
    cdf = []
    total = Fraction(0)
    for k in range(n + 1):
        total += math.comb(n, k) * p0**k * (1 - p0) ** (n - k)
        cdf.append(total)
    r = next(k for k, value in enumerate(cdf) if value >= tail)
    below = cdf[r - 1] if r else Fraction(0)
    alpha = (cdf[r] - tail) / (cdf[r] - below)
    return min(1.0, max(0.0, float((r - alpha) / n)))


@pytest.mark.parametrize("n", [1, 5, 12, 30, 57])
@pytest.mark.parametrize("p0", ["0.1", "0.35", "0.8"])
@pytest.mark.parametrize("tail", ["0.001", "0.025", "0.975", "0.999"])
def test_it_matches_exact_small_n_limits(n, p0, tail):
    expected = _interpolated_limit_by_brute_force(n, Fraction(p0), Fraction(tail))
    assert binomial_limit(n, float(p0), float(tail)) == approx(expected, abs=1e-9)


def test_it_interpolates_within_one_event_of_the_quantile():
    # n = 10, p0 = 0.3: P(Y <= 5) = 0.952651, P(Y <= 6) = 0.989408, so r = 6 at 0.975 and
    # alpha = (0.989408 - 0.975) / 0.036757 = 0.391979: the limit is (6 - 0.392) / 10.
    assert binomial_limit(10, 0.3, 0.975) == approx(0.5608021, abs=1e-6)


@pytest.mark.parametrize("n", [2_000, 10_000, 50_000])
@pytest.mark.parametrize("p0", [0.05, 0.3])
def test_it_approaches_the_normal_approximation_for_large_n(n, p0):
    sd = math.sqrt(p0 * (1 - p0) / n)
    limits = funnel_limits([n], p0)[0]
    # z for 0.975 and 0.999; the discreteness costs at most about one event (1/n).
    for got, z in [
        (limits.upper95, 1.959964),
        (limits.upper998, 3.090232),
        (limits.lower95, -1.959964),
        (limits.lower998, -3.090232),
    ]:
        assert got == approx(p0 + z * sd, abs=0.06 * sd + 1 / n)


def test_it_narrows_the_funnel_as_n_grows():
    limits = funnel_limits([10, 100, 1000], 0.2)
    widths = [lim.upper998 - lim.lower998 for lim in limits]
    assert widths == sorted(widths, reverse=True)
    for lim in limits:
        assert lim.lower998 <= lim.lower95 <= 0.2 <= lim.upper95 <= lim.upper998


def test_it_clips_the_lower_limit_at_zero_for_small_n():
    assert funnel_limits([5], 0.1)[0].lower998 == 0.0


def test_it_classifies_sites_against_the_pooled_proportion():
    results = classify_sites([1, 10, 30], [100, 100, 100])
    # Pooled 41/300; at n = 100 the 99.8 % funnel runs from about 0.037 to 0.248.
    assert [r.status for r in results] == ["below", "within", "above"]
    assert results[0].proportion == 0.01
    assert results[0].lower == approx(binomial_limit(100, 41 / 300, 0.001))


def test_it_classifies_with_a_given_target_and_level():
    results = classify_sites([16], [100], target=0.1, level=0.95)
    # 95 % upper limit at n = 100, p0 = 0.1 is about 0.158, so 16 % is above it;
    assert results[0].status == "above"
    # at 99.8 % (about 0.198) it is within.
    assert classify_sites([16], [100], target=0.1)[0].status == "within"


def test_it_rejects_impossible_sites():
    with pytest.raises(ValueError):
        classify_sites([5], [4])
    with pytest.raises(ValueError):
        classify_sites([1], [10], level=0.9)
    with pytest.raises(ValueError):
        binomial_limit(0, 0.1, 0.975)


@given(
    st.integers(min_value=1, max_value=400),
    st.floats(min_value=0.001, max_value=0.999),
)
def test_it_keeps_limits_ordered_and_within_zero_and_one(n, p0):
    lim = funnel_limits([n], p0)[0]
    assert 0 <= lim.lower998 <= lim.lower95 <= lim.upper95 <= lim.upper998 <= 1
