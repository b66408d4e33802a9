"""Clinically important change between two scores of the same instrument."""

import pytest

from coproduce.instruments.scoring import change, score
from tests.instruments.conftest import gad7, phq9
from tests.instruments.test_phq9 import spread


def phq(total):
    return score("phq9", "1.0", phq9(*spread(total, 9)))


def test_it_calls_a_5_point_phq9_fall_better_and_4_points_no_important_change():
    assert change("phq9", phq(15), phq(10)).direction == "better"
    assert change("phq9", phq(15), phq(11)).direction == "no important change"
    assert change("phq9", phq(10), phq(15)).direction == "worse"
    assert "Löwe" in change("phq9", phq(15), phq(10)).source


def test_it_uses_4_points_for_gad7():
    before = score("gad7", "1.0", gad7(*spread(12, 7)))
    assert change("gad7", before, score("gad7", "1.0", gad7(*spread(8, 7)))).important
    assert not change("gad7", before, score("gad7", "1.0", gad7(*spread(9, 7)))).important


def peg(a, b, c):
    return score("peg", "1.0", {"peg-1": a, "peg-2": b, "peg-3": c})


def test_it_calls_a_30_percent_peg_fall_better_even_when_the_means_are_rounded():
    result = change("peg", peg(7, 7, 6), peg(5, 5, 4))  # 20 -> 14 exactly 30 %
    assert (result.direction, result.important) == ("better", True)
    assert result.percent_change == pytest.approx(-0.30)
    assert change("peg", peg(7, 7, 6), peg(5, 5, 5)).direction == "no important change"


def test_it_uses_2_points_or_30_percent_for_the_pain_nrs():
    def nrs(v):
        return score("pain-nrs", "1.0", {"pain-nrs": v})

    assert change("pain-nrs", nrs(8), nrs(6)).direction == "better"
    assert change("pain-nrs", nrs(3), nrs(2)).direction == "better"  # 33 %
    assert change("pain-nrs", nrs(8), nrs(7)).direction == "no important change"
    assert change("pain-nrs", nrs(4), nrs(6)).direction == "worse"


def test_it_needs_more_than_1_2_for_das28():
    def das(esr):
        return score("das28-esr", "1.0", {"tjc28": 4, "sjc28": 3, "esr": esr, "gh": 50})

    assert change("das28-esr", das(60), das(10)).direction == "better"
    assert change("das28-esr", das(30), das(20)).direction == "no important change"


def test_it_says_when_no_threshold_is_published():
    def collab(v):
        return score("collaborate", "1.0", {f"collaborate-{n}": v for n in (1, 2, 3)})

    result = change("collaborate", collab(3), collab(9))
    assert (result.direction, result.threshold) == ("not interpretable", "no published threshold")
    assert result.difference == 6


def test_it_cannot_interpret_change_from_an_incomplete_score():
    result = change("phq9", phq(15), score("phq9", "1.0", phq9(1, 1)))
    assert result.direction == "unknown" and result.difference is None


def test_it_refuses_to_compare_different_instruments():
    with pytest.raises(ValueError, match="gad7 result"):
        change("phq9", phq(3), score("gad7", "1.0", gad7(*spread(3, 7))))
