"""The seeded permuted-block sequence: balance, proportions, reproducibility."""

from __future__ import annotations

from collections import Counter

import pytest

from coproduce.research.randomisation import ArmRatio, blocks, sequence

N = 10_000
DESIGNS = [
    ("equal three arms", [ArmRatio("cbt", 1), ArmRatio("sm", 1), ArmRatio("taper", 1)], [1, 2, 3]),
    ("two to one", [ArmRatio("a", 2), ArmRatio("b", 1)], [1, 2]),
    ("two arms", [ArmRatio("a", 1), ArmRatio("b", 1)], [2, 4]),
]


@pytest.mark.parametrize(("name", "arms", "multipliers"), DESIGNS, ids=[d[0] for d in DESIGNS])
@pytest.mark.parametrize("stratum", ["site=north;age=<50", "site=harbour;age=50+"])
def test_it_keeps_every_stratum_balanced_within_half_the_largest_block(
    name, arms, multipliers, stratum
):
    codes = sequence("audit-seed-1", stratum, arms, multipliers, N)
    total = sum(a.ratio for a in arms)
    largest = max(multipliers) * total
    counts = Counter()
    worst = 0.0
    for n, code in enumerate(codes, start=1):
        counts[code] += 1
        for a in arms:
            worst = max(worst, abs(counts[a.code] - n * a.ratio / total))
    assert worst <= largest / 2
    for a in arms:
        assert abs(counts[a.code] / N - a.ratio / total) <= 0.01


def test_it_gives_the_same_sequence_for_the_same_seed_and_another_for_another():
    arms, multipliers = DESIGNS[0][1], DESIGNS[0][2]
    first = sequence("seed-a", "site=north", arms, multipliers, N)
    assert first == sequence("seed-a", "site=north", arms, multipliers, N)
    assert first != sequence("seed-b", "site=north", arms, multipliers, N)
    assert first != sequence("seed-a", "site=harbour", arms, multipliers, N)


def test_it_draws_blocks_of_random_sizes_each_holding_the_ratio():
    # With one known block size the last allocation of each block could be guessed.
    arms = DESIGNS[1][1]
    stream = blocks("seed-c", "s", arms, [1, 2, 3])
    drawn = [next(stream) for _ in range(60)]
    assert {len(b) for b in drawn} == {3, 6, 9}
    for block in drawn:
        assert block.count("a") == 2 * block.count("b")


def test_it_refuses_a_design_without_ratios_or_blocks():
    with pytest.raises(ValueError):
        sequence("s", "x", [ArmRatio("a", 0)], [1], 3)
    with pytest.raises(ValueError):
        sequence("s", "x", [ArmRatio("a", 1)], [], 3)
