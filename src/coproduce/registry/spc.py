"""Statistical process control charts for the registry, written from the published formulas.

Pure functions over sequences of numbers; no Django. Every chart returns a `Chart` with one
centre / lower limit / upper limit per point (None where a limit is undefined), the indices
of points outside the limits, the Anhøj runs analysis against the chart's own centre line
and the NHS "Making Data Count" flags.

Sources:
- Anhøj J, Olesen AV. Run charts revisited: a simulation study of run chart rules for
  detection of non-random variation in health care processes. PLoS One 2014;9(11):e113825.
  (Longest run > round(log2(n)) + 3, after Schilling 2012; fewer crossings than the lower
  5 % quantile of Binomial(n - 1, 0.5), after Chen 2010.)
- Montgomery DC. Introduction to Statistical Quality Control (P, U and C charts; Table 7.4).
- Provost LP, Murray SK. The Health Care Data Guide (I chart with 2.66·MR̄, MR chart).
- Nelson LS. Control charts for individual measurements. J Qual Technol 1982;14(3):172-3
  (moving ranges above 3.267·MR̄ are screened out before MR̄ is used).
- Laney DB. Improved control charts for attributes. Quality Engineering 2002;14(4):531-7
  (P′ and U′ charts: limits widened by σ_z from the moving ranges of the z-scores).
- NHS England / NHS Improvement, "Making Data Count" (special-cause rules and their order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from statistics import fmean, median

D2 = 1.128  # d2 for subgroups of two: E[moving range] = d2·σ
D4 = 3.267  # D4 for subgroups of two: upper limit of the moving-range chart
SIGMA_LIMIT = 3.0
TREND_LENGTH = 7
SHIFT_LENGTH = 7

# Rule names in the priority order of Making Data Count.
RULES = ("outside_limits", "trend", "two_of_three", "shift")

Limits = list[tuple[float | None, float | None]]


@dataclass(frozen=True)
class RunsAnalysis:
    """Anhøj run-chart rules applied to one phase of a chart."""

    n_useful: int
    longest_run: int
    longest_run_max: int | None
    crossings: int
    crossings_min: int | None
    signal: bool

    def as_dict(self) -> dict[str, int | bool | None]:
        """Return the fields the API and CLI publish."""
        return {
            "longest_run": self.longest_run,
            "longest_run_max": self.longest_run_max,
            "crossings": self.crossings,
            "crossings_min": self.crossings_min,
            "signal": self.signal,
        }


@dataclass(frozen=True)
class Chart:
    """One SPC chart: plotted values and per-point centre and limits.

    `runs` is the Anhøj analysis of the last phase (the process as it is now);
    `phase_runs` holds one analysis per phase. `rules` maps each NHS rule name, in
    priority order, to the indices of the points it flags.
    """

    chart: str
    y: list[float]
    centre: list[float]
    lcl: list[float | None]
    ucl: list[float | None]
    signals: list[int]
    runs: RunsAnalysis
    phase_runs: list[RunsAnalysis]
    rules: dict[str, list[int]]
    phase_starts: list[int]


# --- Anhøj rules ---------------------------------------------------------------------------


def binom_quantile(
    q: Fraction | float | str, size: int, prob: Fraction | float | str = "0.5"
) -> int:
    """Return the smallest k with P(X <= k) >= q for X ~ Binomial(size, prob), exactly.

    Same definition as R's qbinom(q, size, prob). Floats are read by their decimal repr so
    that 0.05 means 1/20, not the nearest binary fraction; the sum is done in integers.
    """
    qf = Fraction(repr(q)) if isinstance(q, float) else Fraction(q)
    pf = Fraction(repr(prob)) if isinstance(prob, float) else Fraction(prob)
    if size < 0 or not 0 <= qf <= 1 or not 0 <= pf <= 1:
        raise ValueError("need size >= 0 and q, prob in [0, 1]")
    a, b = pf.numerator, pf.denominator
    # P(X <= k) >= q  <=>  sum_i comb(size, i)·a^i·(b-a)^(size-i) · q.den >= q.num · b^size
    target = qf.numerator * b**size
    cumulative = 0
    for k in range(size + 1):
        cumulative += math.comb(size, k) * a**k * (b - a) ** (size - k)
        if cumulative * qf.denominator >= target:
            return k
    return size


def longest_run_limit(n_useful: int) -> int:
    """Return the largest longest run expected by chance: round(log2(n)) + 3.

    Python's round() is half-to-even and R's round() (IEC 60559) is too, but it does not
    matter here: log2(n) is never exactly k + 0.5 for an integer n (2**(k + 0.5) is
    irrational), so every rounding rule agrees with qicharts2.
    """
    if n_useful < 1:
        raise ValueError("n_useful must be at least 1")
    return round(math.log2(n_useful)) + 3


def crossings_limit(n_useful: int) -> int:
    """Return the fewest crossings expected by chance: qbinom(0.05, n - 1, 0.5)."""
    if n_useful < 1:
        raise ValueError("n_useful must be at least 1")
    return binom_quantile(Fraction(1, 20), n_useful - 1, Fraction(1, 2))


def _on_centre(value: float, centre: float) -> bool:
    # p_i = y_i/n_i and p̄ = Σy/Σn can be equal on paper yet differ in the last bit.
    return abs(value - centre) <= 1e-12 * max(1.0, abs(centre))


def runs_analysis(y: Sequence[float], centre: Sequence[float] | float) -> RunsAnalysis:
    """Apply the Anhøj rules to y against a centre line; points on the centre are dropped."""
    centres = [float(centre)] * len(y) if isinstance(centre, int | float) else list(centre)
    if len(centres) != len(y):
        raise ValueError("y and centre must have the same length")
    sides = [1 if v > c else -1 for v, c in zip(y, centres, strict=True) if not _on_centre(v, c)]
    n = len(sides)
    if n == 0:
        return RunsAnalysis(0, 0, None, 0, None, False)
    runs = [1]
    for previous, side in pairwise(sides):
        if side == previous:
            runs[-1] += 1
        else:
            runs.append(1)
    longest, crossings = max(runs), len(runs) - 1
    longest_max, crossings_min = longest_run_limit(n), crossings_limit(n)
    signal = longest > longest_max or crossings < crossings_min
    return RunsAnalysis(n, longest, longest_max, crossings, crossings_min, signal)


# --- NHS Making Data Count rules -----------------------------------------------------------


def _flag_streaks(flags: list[bool], length: int, into: set[int], offset: int) -> None:
    streak = 0
    for i, flag in enumerate(flags):
        streak = streak + 1 if flag else 0
        if streak >= length:
            into.update(range(offset + i - streak + 1, offset + i + 1))


def nhs_rules(
    y: Sequence[float],
    centre: Sequence[float],
    limits: Limits,
    phase_starts: Sequence[int] = (0,),
) -> dict[str, list[int]]:
    """Return the indices each Making Data Count rule flags, rules in priority order.

    outside_limits: beyond a (clipped) limit. trend: TREND_LENGTH points each higher (or
    each lower) than the one before; a tie breaks the trend. two_of_three: two of three
    consecutive points beyond two thirds of the distance to the unclipped limit on the
    same side (the 2σ zone). shift: SHIFT_LENGTH points on one side of the centre; a point
    on the centre breaks the shift. No rule looks across a phase boundary.
    """
    found: dict[str, set[int]] = {rule: set() for rule in RULES}
    bounds = [*phase_starts, len(y)]
    for start, end in pairwise(bounds):
        ys, cs, ls = y[start:end], centre[start:end], limits[start:end]
        for i, (v, (lo, hi)) in enumerate(zip(ys, ls, strict=True)):
            if (hi is not None and v > hi) or (lo is not None and v < lo):
                found["outside_limits"].add(start + i)
        rising = [False] + [b > a for a, b in pairwise(ys)]
        falling = [False] + [b < a for a, b in pairwise(ys)]
        # A trend of L points has L - 1 steps; the first point of the run is flagged too.
        for steps in (rising, falling):
            streak_ends: set[int] = set()
            _flag_streaks(steps, TREND_LENGTH - 1, streak_ends, start)
            found["trend"].update(streak_ends | {i - 1 for i in streak_ends})
        above = [v > c and not _on_centre(v, c) for v, c in zip(ys, cs, strict=True)]
        below = [v < c and not _on_centre(v, c) for v, c in zip(ys, cs, strict=True)]
        _flag_streaks(above, SHIFT_LENGTH, found["shift"], start)
        _flag_streaks(below, SHIFT_LENGTH, found["shift"], start)
        high = [
            hi is not None and v > c + 2 / 3 * (hi - c)
            for v, c, (_, hi) in zip(ys, cs, ls, strict=True)
        ]
        low = [
            lo is not None and v < c - 2 / 3 * (c - lo)
            for v, c, (lo, _) in zip(ys, cs, ls, strict=True)
        ]
        for zone in (high, low):
            for i in range(len(zone)):
                window = range(max(0, i - 2), i + 1)
                if sum(zone[j] for j in window) >= 2:
                    found["two_of_three"].update(start + j for j in window if zone[j])
    return {rule: sorted(found[rule]) for rule in RULES}


# --- phases and assembly -------------------------------------------------------------------

# A phase rule gets (baseline indices, phase indices) and returns the centre and the
# unclipped (lower, upper) limits for every point of the phase.
PhaseRule = Callable[[range, range], tuple[float, Limits]]


def _segments(
    length: int, parts: Sequence[int] | None, freeze: int | None
) -> list[tuple[range, range]]:
    if length == 0:
        raise ValueError("no data points")
    starts = [0, *(parts or [])]
    if any(b <= a for a, b in pairwise(starts)) or starts[-1] >= length:
        raise ValueError("parts must be increasing indices between 1 and len(y) - 1")
    ends = [*starts[1:], length]
    if freeze is not None and not 1 <= freeze <= ends[0]:
        raise ValueError(f"freeze must be between 1 and {ends[0]} (the end of the first phase)")
    segments = []
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        baseline_end = freeze if i == 0 and freeze is not None else end
        segments.append((range(start, baseline_end), range(start, end)))
    return segments


def _check_values(y: Sequence[float], name: str = "y") -> list[float]:
    values = [float(v) for v in y]
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} must be finite numbers")
    return values


def _assemble(
    kind: str,
    y: list[float],
    rule: PhaseRule,
    *,
    parts: Sequence[int] | None,
    freeze: int | None,
    floor: float | None = None,
    ceiling: float | None = None,
) -> Chart:
    centre: list[float] = []
    raw: Limits = []
    phase_runs = []
    segments = _segments(len(y), parts, freeze)
    for baseline, phase in segments:
        c, limits = rule(baseline, phase)
        centre.extend([c] * len(phase))
        raw.extend(limits)
        phase_runs.append(runs_analysis(y[phase.start : phase.stop], c))

    def clip(v: float | None) -> float | None:
        if v is None:
            return None
        if floor is not None:
            v = max(floor, v)
        return v if ceiling is None else min(ceiling, v)

    lcl = [clip(lo) for lo, _ in raw]
    ucl = [clip(hi) for _, hi in raw]
    starts = [phase.start for _, phase in segments]
    # The zone rule needs the unclipped limits; clipping never moves a possible value
    # across a limit (no proportion is below 0 or above 1), so both agree on "outside".
    rules = nhs_rules(y, centre, raw, starts)
    signals = [
        i
        for i, (v, lo, hi) in enumerate(zip(y, lcl, ucl, strict=True))
        if (hi is not None and v > hi) or (lo is not None and v < lo)
    ]
    return Chart(kind, y, centre, lcl, ucl, signals, phase_runs[-1], phase_runs, rules, starts)


def _symmetric(c: float, half_widths: Sequence[float | None]) -> Limits:
    return [(None, None) if h is None else (c - h, c + h) for h in half_widths]


def _screened_mean_moving_range(values: Sequence[float], screened: bool) -> float | None:
    """Return MR̄ of consecutive values; with screening, MRs > D4·MR̄ are left out (Nelson)."""
    ranges = [abs(b - a) for a, b in pairwise(values)]
    if not ranges:
        return None
    mean = fmean(ranges)
    if screened:
        kept = [r for r in ranges if r <= D4 * mean]
        mean = fmean(kept) if kept else mean
    return mean


def _laney_sigma_z(values: Sequence[float], centre: float, sigmas: Sequence[float]) -> float | None:
    """Return Laney's σ_z: mean screened moving range of z_i = (y_i - centre)/σ_i over d2."""
    if all(s == 0 for s in sigmas):
        return 1.0  # every point sits on a centre of 0 (or 1): no spread to rescale
    z = [(v - centre) / s if s > 0 else 0.0 for v, s in zip(values, sigmas, strict=True)]
    mr = _screened_mean_moving_range(z, screened=True)
    return None if mr is None else mr / D2


# --- charts --------------------------------------------------------------------------------


def run_chart(
    y: Sequence[float], *, parts: Sequence[int] | None = None, freeze: int | None = None
) -> Chart:
    """Run chart: centre is the median of the baseline; no control limits (Anhøj 2014)."""
    values = _check_values(y)

    def rule(baseline: range, phase: range) -> tuple[float, Limits]:
        return median(values[i] for i in baseline), [(None, None)] * len(phase)

    return _assemble("run", values, rule, parts=parts, freeze=freeze)


def i_chart(
    y: Sequence[float],
    *,
    screened: bool = True,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """Individuals chart: mean ± 3·MR̄/d2 (= 2.66·MR̄), MR̄ screened per Nelson 1982 by default."""
    values = _check_values(y)

    def rule(baseline: range, phase: range) -> tuple[float, Limits]:
        base = [values[i] for i in baseline]
        mr = _screened_mean_moving_range(base, screened)
        half = None if mr is None else SIGMA_LIMIT * mr / D2
        return fmean(base), _symmetric(fmean(base), [half] * len(phase))

    return _assemble("i", values, rule, parts=parts, freeze=freeze)


def mr_chart(
    y: Sequence[float],
    *,
    screened: bool = False,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """Moving-range chart: centre MR̄, upper limit D4·MR̄ = 3.267·MR̄, no lower limit.

    Point i of the result is |y[i + 1] - y[i]|, so the chart has len(y) - 1 points; `parts`
    and `freeze` index the moving ranges. Unscreened by default, as in Provost & Murray.
    """
    values = _check_values(y)
    ranges = [abs(b - a) for a, b in pairwise(values)]

    def rule(baseline: range, phase: range) -> tuple[float, Limits]:
        base = [ranges[i] for i in baseline]
        mean = fmean(base)
        if screened:
            mean = fmean([r for r in base if r <= D4 * mean] or base)
        return mean, [(None, D4 * mean)] * len(phase)

    return _assemble("mr", ranges, rule, parts=parts, freeze=freeze)


def c_chart(
    y: Sequence[float], *, parts: Sequence[int] | None = None, freeze: int | None = None
) -> Chart:
    """C chart for counts: c̄ ± 3·√c̄, lower limit clipped at 0 (Montgomery ch. 7)."""
    values = _check_values(y)
    if any(v < 0 for v in values):
        raise ValueError("counts must not be negative")

    def rule(baseline: range, phase: range) -> tuple[float, Limits]:
        c = fmean(values[i] for i in baseline)
        return c, _symmetric(c, [SIGMA_LIMIT * math.sqrt(c)] * len(phase))

    return _assemble("c", values, rule, parts=parts, freeze=freeze, floor=0.0)


def _ratio_chart(
    kind: str,
    y: Sequence[float],
    n: Sequence[float],
    sigma: Callable[[float, float], float],
    *,
    laney: bool,
    parts: Sequence[int] | None,
    freeze: int | None,
    ceiling: float | None,
) -> Chart:
    counts, sizes = _check_values(y), _check_values(n, "n")
    if len(counts) != len(sizes):
        raise ValueError("y and n must have the same length")
    if any(s <= 0 for s in sizes):
        raise ValueError("n must be positive")
    if any(c < 0 for c in counts):
        raise ValueError("y must not be negative")
    if ceiling is not None and any(c > s for c, s in zip(counts, sizes, strict=True)):
        raise ValueError("y must not exceed n")
    ratios = [c / s for c, s in zip(counts, sizes, strict=True)]

    def rule(baseline: range, phase: range) -> tuple[float, Limits]:
        centre = math.fsum(counts[i] for i in baseline) / math.fsum(sizes[i] for i in baseline)
        sigmas = [sigma(centre, sizes[i]) for i in phase]
        factor: float | None = 1.0
        if laney:
            base_sigmas = [sigma(centre, sizes[i]) for i in baseline]
            factor = _laney_sigma_z([ratios[i] for i in baseline], centre, base_sigmas)
        halves = [None if factor is None else SIGMA_LIMIT * s * factor for s in sigmas]
        return centre, _symmetric(centre, halves)

    return _assemble(kind, ratios, rule, parts=parts, freeze=freeze, floor=0.0, ceiling=ceiling)


def _p_sigma(p: float, size: float) -> float:
    return math.sqrt(p * (1 - p) / size)


def _u_sigma(u: float, size: float) -> float:
    return math.sqrt(u / size)


def p_chart(
    y: Sequence[float],
    n: Sequence[float],
    *,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """P chart of y_i/n_i: p̄ = Σy/Σn, p̄ ± 3·√(p̄(1-p̄)/n_i) clipped to [0, 1] (Montgomery)."""
    return _ratio_chart("p", y, n, _p_sigma, laney=False, parts=parts, freeze=freeze, ceiling=1.0)


def pp_chart(
    y: Sequence[float],
    n: Sequence[float],
    *,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """Laney P′ chart: p̄ ± 3·σ_i·σ_z clipped to [0, 1] (Laney 2002)."""
    return _ratio_chart("pp", y, n, _p_sigma, laney=True, parts=parts, freeze=freeze, ceiling=1.0)


def u_chart(
    y: Sequence[float],
    n: Sequence[float],
    *,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """U chart of y_i/n_i: ū = Σy/Σn, ū ± 3·√(ū/n_i), lower limit clipped at 0 (Montgomery)."""
    return _ratio_chart("u", y, n, _u_sigma, laney=False, parts=parts, freeze=freeze, ceiling=None)


def up_chart(
    y: Sequence[float],
    n: Sequence[float],
    *,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """Laney U′ chart: ū ± 3·σ_i·σ_z, lower limit clipped at 0 (Laney 2002)."""
    return _ratio_chart("up", y, n, _u_sigma, laney=True, parts=parts, freeze=freeze, ceiling=None)


CHARTS_WITH_DENOMINATOR = frozenset({"p", "pp", "u", "up"})
CHART_KINDS = ("run", "p", "pp", "u", "up", "c", "i", "mr")


def make_chart(
    kind: str,
    y: Sequence[float],
    n: Sequence[float] | None = None,
    *,
    parts: Sequence[int] | None = None,
    freeze: int | None = None,
) -> Chart:
    """Return the chart of the given kind; P and U kinds need n."""
    if kind in CHARTS_WITH_DENOMINATOR:
        if n is None:
            raise ValueError(f"a {kind} chart needs n")
        ratio = {"p": p_chart, "pp": pp_chart, "u": u_chart, "up": up_chart}[kind]
        return ratio(y, n, parts=parts, freeze=freeze)
    single = {"run": run_chart, "c": c_chart, "i": i_chart, "mr": mr_chart}
    if kind not in single:
        raise ValueError(f"unknown chart {kind!r}; choose from {', '.join(CHART_KINDS)}")
    return single[kind](y, parts=parts, freeze=freeze)
