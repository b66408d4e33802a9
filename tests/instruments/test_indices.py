"""Clinician-entered indices against their published formulas and cut-offs (CLINICAL.md)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coproduce.instruments.scoring import band_for, score


def das28_esr(tjc, sjc, esr, gh):
    return score("das28-esr", "1.0", {"tjc28": tjc, "sjc28": sjc, "esr": esr, "gh": gh})


def test_it_computes_das28_esr_from_the_published_formula():
    # 0.56*sqrt(4) + 0.28*sqrt(3) + 0.70*ln(30) + 0.014*50 = 1.12 + 0.485 + 2.381 + 0.7
    result = das28_esr(4, 3, 30, 50)
    assert result.score == 4.69
    assert (result.band, result.band_label) == ("moderate", "Moderate disease activity")
    assert das28_esr(0, 0, 1, 0).score == 0  # ln(1) = 0
    assert das28_esr(28, 28, 100, 100).band == "high"


def test_it_computes_das28_crp_from_the_published_formula():
    # 1.12 + 0.485 + 0.36*ln(11) + 0.7 + 0.96
    result = score("das28-crp", "1.0", {"tjc28": 4, "sjc28": 3, "crp_mg_l": 10, "gh": 50})
    assert result.score == 4.13
    minimum = score("das28-crp", "1.0", {"tjc28": 0, "sjc28": 0, "crp_mg_l": 0, "gh": 0})
    assert (minimum.score, minimum.band) == (0.96, "remission")


@pytest.mark.parametrize(
    ("value", "band"),
    [(2.59, "remission"), (2.6, "low"), (3.2, "low"), (3.21, "moderate"),
     (5.1, "moderate"), (5.11, "high")],
)  # fmt: skip
def test_it_bands_das28_on_both_sides_of_every_cut_off(value, band):
    assert band_for("das28-esr", value)[0] == band
    assert band_for("das28-crp", value)[0] == band


def test_it_bands_a_real_das28_next_to_the_remission_edge():
    # ESR 8 -> 0.70*ln(8) = 1.4556; with GH 20 (0.28) and TJC 1 (0.56): 2.2956 -> 2.30
    assert das28_esr(1, 0, 8, 20).band == "remission"
    # ESR 13 -> 1.7955 + 0.28 + 0.56 = 2.6355 -> 2.64: low
    assert das28_esr(1, 0, 13, 20).band == "low"


def cdai(tjc, sjc, ptga, evga):
    return score("cdai", "1.0", {"tjc28": tjc, "sjc28": sjc, "ptga": ptga, "evga": evga})


@pytest.mark.parametrize(
    ("args", "total", "band"),
    [((1, 1, 0.4, 0.4), 2.8, "remission"), ((1, 1, 0.5, 0.4), 2.9, "low"),
     ((4, 2, 2, 2), 10, "low"), ((4, 2, 2, 2.1), 10.1, "moderate"),
     ((10, 6, 3, 3), 22, "moderate"), ((10, 6, 3, 3.1), 22.1, "high")],
)  # fmt: skip
def test_it_sums_cdai_and_bands_both_sides_of_every_cut_off(args, total, band):
    result = cdai(*args)
    assert (result.score, result.band) == (total, band)


def sdai(tjc, sjc, ptga, evga, crp):
    answers = {"tjc28": tjc, "sjc28": sjc, "ptga": ptga, "evga": evga, "crp_mg_dl": crp}
    return score("sdai", "1.0", answers)


@pytest.mark.parametrize(
    ("crp", "total", "band"),
    [(0.3, 3.3, "remission"), (0.31, 3.31, "low")],
)
def test_it_adds_crp_in_mg_per_dl_to_sdai_at_the_remission_edge(crp, total, band):
    result = sdai(1, 1, 0.5, 0.5, crp)
    assert (result.score, result.band) == (total, band)


@pytest.mark.parametrize(
    ("value", "band"),
    [(3.3, "remission"), (3.4, "low"), (11, "low"), (11.1, "moderate"), (26, "moderate"),
     (26.1, "high")],
)  # fmt: skip
def test_it_bands_sdai_on_both_sides_of_every_cut_off(value, band):
    assert band_for("sdai", value)[0] == band
    assert sdai(10, 10, 3, 3, 0).score == 26


def hbi(stools, **extra):
    answers = {
        "wellbeing": 0, "abdominal_pain": 0, "liquid_stools": stools, "abdominal_mass": 0,
        "arthralgia": False, "uveitis": False, "erythema_nodosum": False,
        "aphthous_ulcers": False, "pyoderma_gangrenosum": False, "anal_fissure": False,
        "new_fistula": False, "abscess": False,
    }  # fmt: skip
    return score("hbi", "1.0", {**answers, **extra})


def test_it_scores_a_worked_hbi_example():
    # slightly below par 1 + moderate pain 2 + 4 stools + dubious mass 1 + 2 complications
    result = hbi(4, wellbeing=1, abdominal_pain=2, abdominal_mass=1, arthralgia=True, uveitis=True)
    assert (result.score, result.band) == (10, "moderate")
    assert result.derived == {"complications": 2}


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "remission"), (5, "mild"), (7, "mild"), (8, "moderate"), (16, "moderate"),
     (17, "severe")],
)  # fmt: skip
def test_it_bands_hbi_on_both_sides_of_every_cut_off(total, band):
    assert hbi(total).band == band


def test_it_needs_every_hbi_component():
    result = score("hbi", "1.0", {"wellbeing": 1})
    assert result.complete is False
    assert "abscess" in result.reason and "no rule for a missing component" in result.reason


def pucai(**answers):
    base = {
        "abdominal_pain": "none", "rectal_bleeding": "none", "stool_consistency": "formed",
        "stools_per_24h": "0-2", "nocturnal_stools": "no", "activity_level": "none",
    }  # fmt: skip
    return score("pucai", "1.0", {**base, **answers})


def test_it_scores_the_pucai_maximum_and_minimum():
    worst = pucai(
        abdominal_pain="not-ignorable", rectal_bleeding="large", stool_consistency="unformed",
        stools_per_24h="9+", nocturnal_stools="yes", activity_level="severe",
    )  # fmt: skip
    assert (worst.score, worst.band) == (85, "severe")
    assert (pucai().score, pucai().band) == (0, "remission")


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [({"abdominal_pain": 5}, 5, "remission"),
     ({"rectal_bleeding": 10}, 10, "mild"),
     ({"rectal_bleeding": 20, "stools_per_24h": 10}, 30, "mild"),
     ({"rectal_bleeding": 30, "stool_consistency": 5}, 35, "moderate"),
     ({"rectal_bleeding": 30, "stools_per_24h": 15, "abdominal_pain": 10, "activity_level": 5},
      60, "moderate"),
     ({"rectal_bleeding": 30, "stools_per_24h": 15, "abdominal_pain": 10, "activity_level": 10},
      65, "severe")],
)  # fmt: skip
def test_it_bands_pucai_on_both_sides_of_every_cut_off(answers, total, band):
    result = pucai(**answers)
    assert (result.score, result.band) == (total, band)


joints = st.integers(0, 28)


@given(joints, joints, st.floats(1, 200), st.floats(0, 100), st.sampled_from(["t", "s", "e", "g"]))
def test_it_keeps_das28_monotone_in_every_component(tjc, sjc, esr, gh, which):
    before = das28_esr(tjc, sjc, esr, gh)
    raised = {
        "t": (min(28, tjc + 1), sjc, esr, gh),
        "s": (tjc, min(28, sjc + 1), esr, gh),
        "e": (tjc, sjc, min(200, esr + 1), gh),
        "g": (tjc, sjc, esr, min(100, gh + 1)),
    }[which]
    assert das28_esr(*raised).score >= before.score
    expected = 0.56 * math.sqrt(tjc) + 0.28 * math.sqrt(sjc) + 0.7 * math.log(esr) + 0.014 * gh
    assert before.score == pytest.approx(expected, abs=0.005)
    assert 0 <= before.score <= 10


@given(joints, joints, st.floats(0, 10), st.floats(0, 10), st.floats(0, 50))
def test_it_keeps_cdai_and_sdai_in_range_with_sdai_never_below_cdai(tjc, sjc, ptga, evga, crp):
    c = cdai(tjc, sjc, ptga, evga).score
    s = sdai(tjc, sjc, ptga, evga, crp).score
    assert 0 <= c <= 76 and c <= s + 0.01 and s <= 126
