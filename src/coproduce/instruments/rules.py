"""Scoring rules of the shipped patient-reported instruments, with their sources.

Every number here comes from the publication cited next to it. Where the authors publish
no rule for missing items the score is withheld and the result says why: a partial
response is never scored as if it were complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_noop

from coproduce.instruments.results import Band, Mcid, Number, Rule, ScoreResult, band_of

NO_MISSING_RULE = (
    "The authors publish no rule for scoring with missing items, so no score is given."
)


def result(
    definition: Any,
    score: Number | None,
    bands: tuple[Band, ...] = (),
    *,
    flags: Iterable[str] = (),
    reason: str | None = None,
    derived: dict[str, Any] | None = None,
    values: Mapping[str, Number] | None = None,
) -> ScoreResult:
    band = band_of(bands, score) if reason is None else None
    return ScoreResult(
        instrument_id=definition.id,
        version=definition.version,
        score=score if reason is None else None,
        band=band.code if band else None,
        band_label=band.label if band else None,
        flags=tuple(flags),
        complete=reason is None,
        reason=reason,
        derived=derived or {},
        item_values=dict(values or {}),
    )


def _missing(values: Mapping[str, Number], items: Iterable[str]) -> list[str]:
    return [i for i in items if i not in values]


# PHQ-9 ---------------------------------------------------------------------------------
# Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606-13: total 0-27; 5, 10, 15 and 20
# are the thresholds of mild, moderate, moderately severe and severe depression.
# PHQ-2 (items 1-2, 0-6) >= 3 is a positive screen (Kroenke et al., Med Care 2003;41:1284).
# PHQ-8 (items 1-8) uses the PHQ-9 cut-points (Kroenke et al., J Affect Disord 2009;114:163).
# Item 9 > 0 (thoughts of being better off dead or self-harm) is a safety event at any total.
# Missing items: the PHQ instruction manual (Pfizer) gives no rule. Proration with up to two
# missing items has been studied by others (Arrieta et al., J Clin Psychol 2017;73:1076)
# but is not the authors' rule, so an incomplete PHQ-9 gets no total.
# Change: 5 points is the clinically significant change (Löwe B, Unützer J, Callahan CM,
# Perkins AJ, Kroenke K. Monitoring depression treatment outcomes with the PHQ-9.
# Med Care 2004;42(12):1194-201).

PHQ9_ITEMS = tuple(f"phq9-{n}" for n in range(1, 10))
PHQ_BANDS = (
    Band("minimal", gettext_noop("Minimal or no symptoms of depression"), 5),
    Band("mild", gettext_noop("Mild symptoms of depression"), 10),
    Band("moderate", gettext_noop("Moderate symptoms of depression"), 15),
    Band("moderately_severe", gettext_noop("Moderately severe symptoms of depression"), 20),
    Band("severe", gettext_noop("Severe symptoms of depression")),
)
SCREEN_POSITIVE = 3


def score_phq9(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    flags = []
    derived: dict[str, Any] = {}
    if values.get("phq9-9", 0) > 0:
        flags.append("phq9_item9_positive")
    phq2 = None
    if "phq9-1" in values and "phq9-2" in values:
        phq2 = values["phq9-1"] + values["phq9-2"]
        derived["phq2"] = phq2
        if phq2 >= SCREEN_POSITIVE:
            flags.append("phq2_positive")
    if not _missing(values, PHQ9_ITEMS[:8]):
        derived["phq8"] = sum(values[i] for i in PHQ9_ITEMS[:8])
        derived["phq8_band"] = band_of(PHQ_BANDS, derived["phq8"]).code  # type: ignore[union-attr]
    missing = _missing(values, PHQ9_ITEMS)
    if missing:
        if phq2 is not None and phq2 < SCREEN_POSITIVE and missing == list(PHQ9_ITEMS[2:]):
            reason = (
                f"PHQ-2 screen negative ({phq2} < {SCREEN_POSITIVE}): items 3-9 were not asked, "
                "so there is no PHQ-9 total."
            )
        else:
            reason = f"Not answered: {', '.join(missing)}. {NO_MISSING_RULE}"
        return result(definition, None, flags=flags, reason=reason, derived=derived, values=values)
    total = sum(values[i] for i in PHQ9_ITEMS)
    return result(definition, total, PHQ_BANDS, flags=flags, derived=derived, values=values)


# GAD-7 ---------------------------------------------------------------------------------
# Spitzer, Kroenke, Williams & Löwe, Arch Intern Med 2006;166:1092-7: total 0-21; 5, 10 and
# 15 are the thresholds of mild, moderate and severe anxiety. GAD-2 (items 1-2) >= 3 is a
# positive screen (Kroenke et al., Ann Intern Med 2007;146:317-25). No published rule for
# missing items. MCID 4 points (Toussaint et al., J Affect Disord 2020;265:395-401).

GAD7_ITEMS = tuple(f"gad7-{n}" for n in range(1, 8))
GAD_BANDS = (
    Band("minimal", gettext_noop("Minimal or no symptoms of anxiety"), 5),
    Band("mild", gettext_noop("Mild symptoms of anxiety"), 10),
    Band("moderate", gettext_noop("Moderate symptoms of anxiety"), 15),
    Band("severe", gettext_noop("Severe symptoms of anxiety")),
)


def score_gad7(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    flags = []
    derived: dict[str, Any] = {}
    if "gad7-1" in values and "gad7-2" in values:
        derived["gad2"] = values["gad7-1"] + values["gad7-2"]
        if derived["gad2"] >= SCREEN_POSITIVE:
            flags.append("gad2_positive")
    missing = _missing(values, GAD7_ITEMS)
    if missing:
        reason = f"Not answered: {', '.join(missing)}. {NO_MISSING_RULE}"
        return result(definition, None, flags=flags, reason=reason, derived=derived, values=values)
    total = sum(values[i] for i in GAD7_ITEMS)
    return result(definition, total, GAD_BANDS, flags=flags, derived=derived, values=values)


# PEG -----------------------------------------------------------------------------------
# Krebs et al., J Gen Intern Med 2009;24:733-8: the score is the mean of the three 0-10
# items; no severity bands are published. A 30 % reduction is clinically meaningful (the
# PEG paper, following the IMMPACT recommendations). No published rule for missing items.

PEG_ITEMS = ("peg-1", "peg-2", "peg-3")


def score_peg(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    missing = _missing(values, PEG_ITEMS)
    if missing:
        reason = f"Not answered: {', '.join(missing)}. {NO_MISSING_RULE}"
        return result(definition, None, reason=reason, values=values)
    total = sum(values[i] for i in PEG_ITEMS)
    # The percent change is computed on the sum so rounding the mean never moves a 30 % edge.
    return result(definition, round(total / 3, 2), derived={"sum": total}, values=values)


# Pain intensity NRS ----------------------------------------------------------------------
# Farrar et al., Pain 2001;94:149-58: a fall of about 2 points or 30 % on the 0-10 scale is
# clinically important. No bands are published for chronic pain.


def score_the_answer(link_id: str):
    """A scorer for one-question scales whose score is the answer itself."""

    def scorer(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
        if link_id not in values:
            return result(definition, None, reason=f"Not answered: {link_id}.", values=values)
        return result(definition, values[link_id], values=values)

    return scorer


score_pain_nrs = score_the_answer("pain-nrs")


# Withdrawal symptoms NRS (written for coproduce) ----------------------------------------
# One 0-10 question for the weekly taper check-in. Not a validated instrument: no bands and
# no MCID are published; the safety-net thresholds on it are ours (docs/safetynet.md).

score_withdrawal_nrs = score_the_answer("withdrawal-nrs")


# Patient-reported flare (written for coproduce) ------------------------------------------
# Yes/no, after the OMERACT RA Flare Group's "are you having a flare now?" (Bykerk et al.,
# RMD Open 2016;2:e000225): the patient's own judgement. Yes scores 1 and sets a flag.


def score_flare(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    if "flare-now" not in values:
        return result(definition, None, reason="Not answered: flare-now.", values=values)
    flags = ["patient_reported_flare"] if values["flare-now"] > 0 else []
    return result(definition, values["flare-now"], flags=flags, values=values)


# collaboRATE ---------------------------------------------------------------------------
# Elwyn et al., Patient Educ Couns 2013;93:102-7; Barr et al., J Med Internet Res 2014;16:e2.
# Per response: the mean of the three 0-9 items and the "top score" (all three 9). Units
# report the proportion of top scores only with >= 25 responses, and keep individual
# answers from the clinician. No rule for missing items; no published MCID.

COLLABORATE_ITEMS = ("collaborate-1", "collaborate-2", "collaborate-3")
COLLABORATE_MIN_REPORTABLE = 25


def score_collaborate(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    missing = _missing(values, COLLABORATE_ITEMS)
    if missing:
        reason = f"Not answered: {', '.join(missing)}. {NO_MISSING_RULE}"
        return result(definition, None, reason=reason, values=values)
    total = sum(values[i] for i in COLLABORATE_ITEMS)
    top = int(all(values[i] == 9 for i in COLLABORATE_ITEMS))
    return result(
        definition, round(total / 3, 2), derived={"top_score": top, "sum": total}, values=values
    )


def collaborate_summary(results: Iterable[ScoreResult]) -> dict[str, Any]:
    """Unit-level collaboRATE: top-score percent and mean, withheld below 25 responses."""
    complete = [r for r in results if r.complete and r.instrument_id == "collaborate"]
    n = len(complete)
    summary: dict[str, Any] = {"n": n, "reportable": n >= COLLABORATE_MIN_REPORTABLE}
    if n >= COLLABORATE_MIN_REPORTABLE:
        summary["top_score_percent"] = round(
            100 * sum(r.derived["top_score"] for r in complete) / n, 1
        )
        summary["mean"] = round(sum(float(r.score or 0) for r in complete) / n, 2)
    else:
        summary["reason"] = (
            f"collaboRATE is reported only with at least {COLLABORATE_MIN_REPORTABLE} "
            f"responses; there are {n}."
        )
    return summary


# Unscored blocks (taper-weekly, previsit) ------------------------------------------------


def score_unscored(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    """No score: complete when every required (and enabled) item is answered."""
    missing = [
        i.link_id
        for i in definition.items
        if i.required and i.link_id not in cleaned and definition.is_enabled(i, cleaned)
    ]
    reason = f"Not answered: {', '.join(missing)}." if missing else None
    return ScoreResult(
        instrument_id=definition.id,
        version=definition.version,
        score=None,
        complete=not missing,
        reason=reason,
        item_values=dict(values),
    )


PATIENT_RULES: dict[str, Rule] = {
    "phq9": Rule(
        score_phq9,
        ("1.0",),
        PHQ_BANDS,
        Mcid("Löwe et al., Med Care 2004;42:1194-201", points=5),
    ),
    "gad7": Rule(
        score_gad7,
        ("1.0",),
        GAD_BANDS,
        Mcid("Toussaint et al., J Affect Disord 2020;265:395-401", points=4),
    ),
    "peg": Rule(
        score_peg,
        ("1.0",),
        (),
        Mcid(
            "Krebs et al., J Gen Intern Med 2009;24:733-8",
            percent=0.30,
            note="Published for improvement; the same 30 % is applied to worsening.",
        ),
    ),
    "pain-nrs": Rule(
        score_pain_nrs,
        ("1.0",),
        (),
        Mcid(
            "Farrar et al., Pain 2001;94:149-58",
            points=2,
            percent=0.30,
            note="Published for improvement; the same threshold is applied to worsening.",
        ),
    ),
    "collaborate": Rule(score_collaborate, ("1.0",), (), None, higher_is_worse=False),
    "withdrawal-nrs": Rule(
        score_withdrawal_nrs,
        ("1.0",),
        (),
        None,
        no_mcid_reason="a single question written for coproduce; no published MCID",
    ),
    "flare": Rule(score_flare, ("1.0",), (), None, no_mcid_reason="a yes/no question"),
    "taper-weekly": Rule(score_unscored, ("1.0",), (), None, no_mcid_reason="not scored"),
    "previsit": Rule(score_unscored, ("1.0",), (), None, no_mcid_reason="not scored"),
}
