"""GAD-7 (with GAD-2) against Spitzer et al. 2006 and Kroenke et al. 2007."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coproduce.instruments.scoring import score
from tests.instruments.conftest import gad7
from tests.instruments.test_phq9 import spread


def test_it_scores_a_worked_example_with_gad2():
    result = score("gad7", "1.0", gad7(2, 1, 1, 2, 0, 1, 3))
    assert result.score == 10
    assert (result.band, result.band_label) == ("moderate", "Moderate symptoms of anxiety")
    assert result.derived == {"gad2": 3}
    assert result.flags == ("gad2_positive",)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
     (14, "moderate"), (15, "severe"), (21, "severe")],
)  # fmt: skip
def test_it_bands_both_sides_of_every_cut_point(total, band):
    assert score("gad7", "1.0", gad7(*spread(total, 7))).band == band


def test_it_screens_gad2_positive_at_3_and_not_at_2():
    assert score("gad7", "1.0", gad7(1, 2)).flags == ("gad2_positive",)
    assert score("gad7", "1.0", gad7(1, 1)).flags == ()


def test_it_withholds_the_total_when_an_item_is_missing():
    result = score("gad7", "1.0", gad7(1, 1, 1, 1, 1, 1, None))
    assert (result.score, result.complete) == (None, False)
    assert "gad7-7" in result.reason


def test_it_accepts_option_codes_and_weights_alike():
    by_code = {f"gad7-{n}": "LA6570-1" for n in range(1, 8)}
    assert score("gad7", "1.0", by_code).score == 14


@given(st.lists(st.integers(0, 3), min_size=7, max_size=7), st.integers(0, 6))
def test_it_stays_in_range_and_rises_with_any_answer(weights, index):
    result = score("gad7", "1.0", gad7(*weights))
    assert 0 <= result.score <= 21 and result.score == sum(weights)
    higher = list(weights)
    higher[index] = min(3, higher[index] + 1)
    assert score("gad7", "1.0", gad7(*higher)).score >= result.score
