"""SPC charts checked against worked examples and hand calculations (CLINICAL.md, SPC)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest import approx

from coproduce.registry.spc import (
    binom_quantile,
    c_chart,
    crossings_limit,
    i_chart,
    longest_run_limit,
    make_chart,
    mr_chart,
    p_chart,
    pp_chart,
    run_chart,
    runs_analysis,
    u_chart,
    up_chart,
)

WORKED_I = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


# --- Anhøj limits --------------------------------------------------------------------------


def _qbinom_05_by_summing(size: int) -> int:
    total = 2**size
    cumulative = 0
    for k in range(size + 1):
        cumulative += math.comb(size, k)
        if cumulative / total >= 0.05:
            return k
    return size


@pytest.mark.parametrize("n", range(10, 101))
def test_it_matches_anhoj_limits_for_every_n_from_10_to_100(n):
    assert longest_run_limit(n) == round(math.log2(n)) + 3
    assert crossings_limit(n) == _qbinom_05_by_summing(n - 1)


def test_it_gives_eight_and_eight_for_24_useful_points():
    assert (longest_run_limit(24), crossings_limit(24)) == (8, 8)


@pytest.mark.parametrize(
    ("n", "longest", "crossings"), [(10, 6, 2), (20, 7, 6), (50, 9, 19), (100, 10, 41)]
)
def test_it_agrees_with_published_anhoj_table_rows(n, longest, crossings):
    assert (longest_run_limit(n), crossings_limit(n)) == (longest, crossings)


def test_it_never_meets_a_rounding_tie_in_log2_n():
    # Half-even (Python, R) and half-up rounding could only differ if log2(n) were k + 0.5.
    closest = min(abs(math.log2(n) % 1 - 0.5) for n in range(1, 100_001))
    assert closest > 1e-6


@given(st.integers(min_value=0, max_value=200), st.sampled_from(["0.05", "0.5", "0.95"]))
def test_it_computes_the_binomial_quantile_like_qbinom(size, q):
    expected = next(
        k
        for k in range(size + 1)
        if sum(math.comb(size, i) for i in range(k + 1)) / 2**size >= float(q) - 1e-15
    )
    assert binom_quantile(q, size) == expected


def test_it_drops_points_on_the_median_before_counting():
    chart = run_chart([1, 2, 3, 4, 5])
    assert chart.centre == [3, 3, 3, 3, 3]
    assert chart.runs.n_useful == 4
    assert chart.lcl == [None] * 5 and chart.ucl == [None] * 5


def test_it_signals_a_shift_by_a_long_run_and_too_few_crossings():
    runs = run_chart(list(range(1, 21))).runs
    # 10 below and 10 above the median 10.5; n = 20 gives limits 7 and qbinom(.05, 19) = 6.
    assert runs.as_dict() == {
        "longest_run": 10,
        "longest_run_max": 7,
        "crossings": 1,
        "crossings_min": 6,
        "signal": True,
    }


def test_it_finds_no_signal_in_alternating_data():
    runs = runs_analysis([1, 3] * 12, 2.0)
    assert (runs.longest_run, runs.crossings, runs.signal) == (1, 23, False)


def test_it_reports_no_limits_when_every_point_is_on_the_centre():
    runs = runs_analysis([2, 2, 2], 2.0)
    assert (runs.n_useful, runs.longest_run_max, runs.crossings_min, runs.signal) == (
        0,
        None,
        None,
        False,
    )


# --- I and MR charts -----------------------------------------------------------------------


def test_it_screens_large_moving_ranges_out_of_the_i_chart():
    chart = i_chart(WORKED_I)
    assert chart.centre[0] == approx(1.94, abs=0.005)
    assert chart.ucl[0] == approx(4.60, abs=0.005)
    assert chart.lcl[0] == approx(-0.72, abs=0.005)
    assert chart.signals == [4]


def test_it_gives_the_classic_i_chart_without_screening():
    chart = i_chart(WORKED_I, screened=False)
    assert chart.ucl[0] == approx(6.95, abs=0.005)
    assert chart.lcl[0] == approx(-3.06, abs=0.005)
    # 10 lies above 6.95 too, but the wider limits hide nothing else.
    assert chart.signals == [4]


def test_it_draws_the_moving_range_chart():
    chart = mr_chart(WORKED_I)
    # 17 ranges summing to 32: three 1s, 8, 9, twelve 1s.
    assert len(chart.y) == 17
    assert chart.centre[0] == approx(32 / 17)
    assert chart.ucl[0] == approx(3.267 * 32 / 17)
    assert chart.lcl == [None] * 17
    assert chart.signals == [3, 4]  # the ranges 8 and 9, both above 3.267 × 1.882 = 6.15


# --- attribute charts, by hand -------------------------------------------------------------


def test_it_reproduces_montgomery_table_7_4_limits_at_n_100():
    # Σy / Σn = 9551 / 100000 = 0.09551, the centre of Montgomery's Table 7.4.
    chart = p_chart([9542, 9], [99_900, 100])
    assert chart.centre[1] == approx(0.09551, abs=1e-12)
    assert chart.ucl[1] == approx(0.183686, abs=1e-6)
    assert chart.lcl[1] == approx(0.007335, abs=1e-6)


def test_it_clips_p_limits_to_zero_and_one():
    chart = p_chart([1, 9], [10, 10])  # p̄ = 0.5, 3·√(0.25/10) = 0.474
    assert chart.ucl[0] == approx(0.5 + 3 * math.sqrt(0.025))
    chart = p_chart([0, 1], [5, 5])  # p̄ = 0.1, 0.1 - 3·√(0.09/5) < 0
    assert chart.lcl == [0.0, 0.0]
    chart = p_chart([5, 4], [5, 5])  # p̄ = 0.9, 0.9 + 3·√(0.09/5) > 1
    assert chart.ucl == [1.0, 1.0]


def test_it_computes_c_limits_by_hand():
    chart = c_chart([2, 4, 3, 7])
    # c̄ = 16 / 4 = 4; 4 ± 3·√4 = 4 ± 6 -> 10 and -2, clipped to 0.
    assert chart.centre == [4, 4, 4, 4]
    assert chart.ucl == [10, 10, 10, 10]
    assert chart.lcl == [0, 0, 0, 0]


def test_it_computes_u_limits_by_hand():
    chart = u_chart([2, 6, 4], [1, 2, 2])
    # ū = 12 / 5 = 2.4; n = 1: 2.4 ± 3·√2.4 = 2.4 ± 4.648; n = 2: 2.4 ± 3·√1.2 = 2.4 ± 3.286.
    assert chart.y == [2, 3, 2]
    assert chart.centre[0] == approx(2.4)
    assert chart.ucl == approx([2.4 + 4.647580, 2.4 + 3.286335, 2.4 + 3.286335], abs=1e-6)
    assert chart.lcl == [0, 0, 0]


def test_it_widens_u_limits_by_laneys_sigma_z():
    chart = up_chart([2, 6, 4], [1, 2, 2])
    # u = 2, 3, 2; σ = √2.4 = 1.549193, √1.2 = 1.095445, 1.095445.
    # z = -0.4/1.549193 = -0.258199, 0.6/1.095445 = 0.547723, -0.4/1.095445 = -0.365148.
    # Moving ranges 0.805922 and 0.912871, mean 0.859396; none above 3.267 × that.
    sigma_z = 0.859396 / 1.128  # 0.761876
    assert chart.ucl[0] == approx(2.4 + 3 * 1.549193 * sigma_z, abs=1e-5)
    assert chart.ucl[1] == approx(2.4 + 3 * 1.095445 * sigma_z, abs=1e-5)
    assert 2.4 - 3 * 1.095445 * sigma_z < 0  # -0.1038, so the lower limit is clipped
    assert chart.lcl == [0.0, 0.0, 0.0]
    assert chart.ucl[0] == approx(5.9409, abs=1e-4)


def test_it_widens_p_limits_by_laneys_sigma_z():
    chart = pp_chart([5, 10, 20, 8], [50, 50, 100, 100])
    pbar = 43 / 300
    s50, s100 = math.sqrt(pbar * (1 - pbar) / 50), math.sqrt(pbar * (1 - pbar) / 100)
    z = [(0.10 - pbar) / s50, (0.20 - pbar) / s50, (0.20 - pbar) / s100, (0.08 - pbar) / s100]
    # z ≈ -0.874, 1.144, 1.617, -1.807; ranges 2.018, 0.474, 3.425, all under 3.267 × 1.972.
    mean_range = (abs(z[1] - z[0]) + abs(z[2] - z[1]) + abs(z[3] - z[2])) / 3
    sigma_z = mean_range / 1.128
    assert sigma_z == approx(1.7483, abs=1e-4)
    assert chart.centre[0] == approx(pbar)
    assert chart.ucl[0] == approx(pbar + 3 * s50 * sigma_z)
    assert chart.ucl[2] == approx(pbar + 3 * s100 * sigma_z)
    assert chart.lcl == [0.0] * 4


def test_it_screens_the_laney_moving_ranges():
    # Equal n: z is p rescaled, so P′ is the I chart of the proportions around p̄.
    y = [10, 12, 10, 12, 10, 12, 10, 12, 10, 40]
    chart = pp_chart(y, [100] * 10)
    # p̄ = 138/1000; ranges of p: eight of 0.02 and one of 0.28; mean 0.0489, cut 0.1597,
    # so 0.28 is dropped and σ_i·σ_z = 0.02/1.128 for every point.
    half = 3 * 0.02 / 1.128
    assert chart.ucl[0] == approx(0.138 + half)
    assert chart.lcl[0] == approx(0.138 - half)
    assert chart.signals == [9]
    assert chart.ucl == approx(i_chart([v / 100 for v in y]).ucl)


# --- baseline and phases -------------------------------------------------------------------


def test_it_freezes_limits_on_the_baseline():
    chart = i_chart([1, 2, 3, 4, 5, 100, 100], freeze=5)
    # Baseline mean 3, ranges all 1, so the limits are 3 ± 3/1.128 for every point.
    assert chart.centre == [3.0] * 7
    assert chart.ucl == approx([3 + 3 / 1.128] * 7)
    assert chart.signals == [5, 6]  # 5 stays under 3 + 2.66 = 5.66
    # The runs analysis covers every point against the frozen centre: 4, 5, 100, 100.
    assert (chart.runs.n_useful, chart.runs.longest_run) == (6, 4)


def test_it_recalculates_limits_for_each_phase():
    chart = i_chart([1, 2, 1, 2, 1, 10, 11, 10, 11, 10], parts=[5])
    assert chart.centre == [1.4] * 5 + [10.4] * 5
    assert chart.ucl[0] == approx(1.4 + 3 / 1.128)
    assert chart.ucl[9] == approx(10.4 + 3 / 1.128)
    assert chart.phase_starts == [0, 5]
    assert chart.signals == []
    assert len(chart.phase_runs) == 2


def test_it_freezes_a_p_chart_baseline_and_keeps_per_point_sizes():
    chart = p_chart([10, 10, 50], [100, 100, 200], freeze=2)
    assert chart.centre == [0.1] * 3
    assert chart.ucl[2] == approx(0.1 + 3 * math.sqrt(0.1 * 0.9 / 200))
    assert chart.signals == [2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"freeze": 0}, "freeze"),
        ({"freeze": 11}, "freeze"),
        ({"parts": [0]}, "parts"),
        ({"parts": [5, 3]}, "parts"),
        ({"parts": [5], "freeze": 6}, "freeze"),
    ],
)
def test_it_rejects_bad_phases(kwargs, message):
    with pytest.raises(ValueError, match=message):
        i_chart(list(range(10)), **kwargs)


def test_it_rejects_impossible_ratio_data():
    with pytest.raises(ValueError, match="positive"):
        p_chart([1], [0])
    with pytest.raises(ValueError, match="exceed"):
        p_chart([3], [2])
    with pytest.raises(ValueError, match="needs n"):
        make_chart("u", [1, 2])
    with pytest.raises(ValueError, match="finite"):
        i_chart([1, float("nan")])


def test_it_leaves_limits_undefined_for_a_single_point():
    assert i_chart([4]).ucl == [None]
    assert pp_chart([1], [10]).lcl == [None]


# --- Making Data Count rules ---------------------------------------------------------------


def test_it_flags_a_seven_point_trend_but_not_six():
    rules = run_chart([5, 1, 2, 3, 4, 5, 6, 7, 3]).rules
    assert rules["trend"] == [1, 2, 3, 4, 5, 6, 7]
    assert run_chart([5, 1, 2, 3, 4, 5, 6, 3]).rules["trend"] == []
    assert run_chart([1, 2, 3, 3, 4, 5, 6, 7]).rules["trend"] == []  # a tie breaks it


def test_it_flags_seven_points_on_one_side_of_the_centre():
    y = [5.0] * 8 + [9, 9, 9, 9, 9, 9, 9]
    chart = i_chart(y, freeze=8)  # centre 5, no spread: every 9 is outside too
    assert chart.rules["shift"] == list(range(8, 15))
    assert list(chart.rules) == ["outside_limits", "trend", "two_of_three", "shift"]


def test_it_flags_two_of_three_beyond_two_thirds_of_the_limit():
    # Baseline 10, 12, ...: mean 11, MR̄ 2, so 2/3 of the way to the UCL is 11 + 3.546.
    chart = i_chart([10, 12] * 5 + [15, 11, 15], freeze=10)
    assert chart.ucl[0] == approx(11 + 6 / 1.128)
    assert chart.signals == []
    assert chart.rules["two_of_three"] == [10, 12]


# --- properties ----------------------------------------------------------------------------

values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60
)


@st.composite
def proportions(draw):
    sizes = draw(st.lists(st.integers(min_value=1, max_value=500), min_size=2, max_size=40))
    counts = [draw(st.integers(min_value=0, max_value=size)) for size in sizes]
    return counts, sizes


@given(values, st.booleans())
def test_it_places_i_limits_symmetrically_around_the_centre(y, screened):
    chart = i_chart(y, screened=screened)
    for c, lo, hi in zip(chart.centre, chart.lcl, chart.ucl, strict=True):
        assert hi - c == approx(c - lo, rel=1e-9, abs=1e-6)


@given(proportions())
def test_it_keeps_p_limits_within_zero_and_one(data):
    counts, sizes = data
    for chart in (p_chart(counts, sizes), pp_chart(counts, sizes)):
        for c, lo, hi in zip(chart.centre, chart.lcl, chart.ucl, strict=True):
            assert 0 <= lo <= c <= hi <= 1
            if lo > 0 and hi < 1:
                assert hi - c == approx(c - lo)


@given(proportions(), st.randoms(use_true_random=False))
def test_it_gives_the_same_centre_whatever_the_order(data, rnd: random.Random):
    counts, sizes = data
    pairs = list(zip(counts, sizes, strict=True))
    rnd.shuffle(pairs)
    shuffled_counts, shuffled_sizes = (list(t) for t in zip(*pairs, strict=True))
    for chart in (p_chart, u_chart):
        assert chart(shuffled_counts, shuffled_sizes).centre[0] == approx(
            chart(counts, sizes).centre[0]
        )
    assert c_chart(shuffled_counts).centre[0] == approx(c_chart(counts).centre[0])


@given(values)
def test_it_keeps_runs_within_their_bounds(y):
    runs = run_chart(y).runs
    assert runs.longest_run <= runs.n_useful <= len(y)
    assert runs.crossings <= max(runs.n_useful - 1, 0)
    if runs.n_useful:
        assert runs.signal == (
            runs.longest_run > runs.longest_run_max or runs.crossings < runs.crossings_min
        )
