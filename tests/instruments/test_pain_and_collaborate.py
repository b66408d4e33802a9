"""PEG (Krebs 2009), the pain NRS (Farrar 2001) and collaboRATE (Elwyn 2013, Barr 2014)."""

from hypothesis import given
from hypothesis import strategies as st

from coproduce.instruments.rules import collaborate_summary
from coproduce.instruments.scoring import score


def peg(a, b, c):
    return score("peg", "1.0", {"peg-1": a, "peg-2": b, "peg-3": c})


def test_it_scores_the_peg_as_the_mean_of_three_items():
    result = peg(6, 7, 8)
    assert result.score == 7
    assert result.band is None  # the PEG has no published bands
    assert peg(5, 5, 6).score == 5.33


def test_it_withholds_the_peg_when_an_item_is_missing():
    result = score("peg", "1.0", {"peg-1": 5, "peg-2": 5})
    assert (result.score, result.complete) == (None, False)
    assert "peg-3" in result.reason


@given(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10), st.integers(0, 2))
def test_it_keeps_the_peg_between_0_and_10_and_monotone(a, b, c, which):
    result = peg(a, b, c)
    assert 0 <= result.score <= 10
    raised = [a, b, c]
    raised[which] = min(10, raised[which] + 1)
    assert peg(*raised).score >= result.score


def test_it_scores_the_withdrawal_nrs_as_the_answer():
    result = score("withdrawal-nrs", "1.0", {"withdrawal-nrs": 6})
    assert (result.score, result.band, result.complete) == (6, None, True)
    assert score("withdrawal-nrs", "1.0", {}).reason == "Not answered: withdrawal-nrs."


def test_it_scores_a_reported_flare_as_1_with_a_flag():
    yes = score("flare", "1.0", {"flare-now": "yes"})
    assert (yes.score, yes.flags) == (1, ("patient_reported_flare",))
    no = score("flare", "1.0", {"flare-now": "no"})
    assert (no.score, no.flags) == (0, ())


def test_it_scores_the_pain_nrs_as_the_answer():
    assert score("pain-nrs", "1.0", {"pain-nrs": 7}).score == 7
    missing = score("pain-nrs", "1.0", {})
    assert missing.complete is False and missing.reason == "Not answered: pain-nrs."


def collab(a, b, c):
    return score("collaborate", "1.0", {"collaborate-1": a, "collaborate-2": b, "collaborate-3": c})


def test_it_gives_collaborate_a_mean_and_a_top_score():
    assert collab(9, 9, 9).derived["top_score"] == 1
    assert collab(9, 9, 8).derived["top_score"] == 0
    assert collab(9, 9, 8).score == 8.67


def test_it_reports_collaborate_for_a_unit_only_from_25_responses():
    results = [collab(9, 9, 9)] * 20 + [collab(5, 6, 7)] * 4
    assert collaborate_summary(results)["reportable"] is False
    assert "at least 25" in collaborate_summary(results)["reason"]
    summary = collaborate_summary([*results, collab(9, 9, 9)])
    assert summary == {"n": 25, "reportable": True, "top_score_percent": 84.0, "mean": 8.52}


@given(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9))
def test_it_keeps_collaborate_between_0_and_9(a, b, c):
    result = collab(a, b, c)
    assert 0 <= result.score <= 9
    assert result.derived["top_score"] == int(a == b == c == 9)
