"""PHQ-9 (with PHQ-8 and PHQ-2) against Kroenke et al. 2001/2003/2009."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coproduce.instruments.scoring import score
from tests.instruments.conftest import phq9


def test_it_sums_nine_items_from_0_to_27():
    assert score("phq9", "1.0", phq9(0, 0, 0, 0, 0, 0, 0, 0, 0)).score == 0
    assert score("phq9", "1.0", phq9(3, 3, 3, 3, 3, 3, 3, 3, 3)).score == 27


def test_it_scores_a_worked_example_with_its_band_and_derived_scores():
    result = score("phq9", "1.0", phq9(2, 3, 1, 2, 0, 1, 2, 1, 0))
    assert result.score == 12
    assert (result.band, result.band_label) == ("moderate", "Moderate symptoms of depression")
    assert result.derived == {"phq2": 5, "phq8": 12, "phq8_band": "moderate"}
    assert result.flags == ("phq2_positive",)
    assert result.complete and result.reason is None


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
        (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe"),
    ],
)  # fmt: skip
def test_it_bands_both_sides_of_every_cut_point(total, band):
    assert score("phq9", "1.0", phq9(*spread(total, 9))).band == band


def spread(total: int, n: int) -> list[int]:
    """n answers of 0-3 that add up to total, filled from the first item."""
    weights = []
    for _ in range(n):
        weights.append(min(3, total))
        total -= weights[-1]
    return weights


def test_it_flags_item_9_whatever_the_total():
    result = score("phq9", "1.0", phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert result.score == 1 and result.band == "minimal"
    assert "phq9_item9_positive" in result.flags


def test_it_flags_item_9_even_when_the_response_is_incomplete():
    result = score("phq9", "1.0", phq9(None, None, None, None, None, None, None, None, 2))
    assert result.complete is False
    assert result.flags == ("phq9_item9_positive",)


def test_it_screens_phq2_positive_at_3_and_not_at_2():
    assert "phq2_positive" in score("phq9", "1.0", phq9(2, 1)).flags
    assert "phq2_positive" not in score("phq9", "1.0", phq9(1, 1)).flags


def test_it_withholds_the_total_when_an_item_is_missing_and_says_why():
    result = score("phq9", "1.0", phq9(1, 1, 1, None, 1, 1, 1, 1, 1))
    assert result.score is None and result.band is None
    assert result.complete is False
    assert "phq9-4" in result.reason
    assert "publish no rule" in result.reason


def test_it_still_gives_the_phq8_when_only_item_9_is_missing():
    result = score("phq9", "1.0", phq9(1, 2, 3, 1, 1, 1, 1, 1, None))
    assert result.score is None
    assert result.derived["phq8"] == 11
    assert result.derived["phq8_band"] == "moderate"


def test_it_explains_a_negative_phq2_screen_when_items_3_to_9_were_not_asked():
    result = score("phq9", "1.0", phq9(1, 1))
    assert result.complete is False
    assert result.derived == {"phq2": 2}
    assert result.reason.startswith("PHQ-2 screen negative (2 < 3)")


def test_it_ignores_the_unscored_difficulty_item():
    answers = {**phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), "phq9-10": "LA6573-5"}
    result = score("phq9", "1.0", answers)
    assert result.score == 8
    assert "phq9-10" not in result.item_values


items = st.lists(st.integers(0, 3), min_size=9, max_size=9)


@given(items)
def test_it_always_scores_within_range_as_the_plain_sum(weights):
    result = score("phq9", "1.0", phq9(*weights))
    assert 0 <= result.score <= 27
    assert result.score == sum(weights)
    assert ("phq9_item9_positive" in result.flags) == (weights[8] > 0)


@given(items, st.integers(0, 8))
def test_it_never_lowers_the_score_when_an_answer_rises(weights, index):
    before = score("phq9", "1.0", phq9(*weights))
    higher = list(weights)
    higher[index] = min(3, higher[index] + 1)
    after = score("phq9", "1.0", phq9(*higher))
    assert after.score >= before.score
