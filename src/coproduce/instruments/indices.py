"""Clinician-entered disease activity indices, scored like any other instrument.

Input fields (the linkIds of each definition in ``library/``):

- ``das28-esr``: tjc28 (0-28), sjc28 (0-28), esr (mm/h, 1-200), gh (patient global health,
  0-100 mm VAS).
- ``das28-crp``: tjc28, sjc28, crp_mg_l (CRP in mg/L, 0-500), gh.
- ``cdai``: tjc28, sjc28, ptga (patient global, 0-10), evga (evaluator global, 0-10).
- ``sdai``: as cdai plus crp_mg_dl (CRP in **mg/dL**, 0-50; mg/L divided by 10).
- ``hbi``: wellbeing (0-4), abdominal_pain (0-3), liquid_stools (count, previous day),
  abdominal_mass (0-3), and eight booleans: arthralgia, uveitis, erythema_nodosum,
  aphthous_ulcers, pyoderma_gangrenosum, anal_fissure, new_fistula, abscess.
- ``pucai``: abdominal_pain, rectal_bleeding, stool_consistency, stools_per_24h,
  nocturnal_stools, activity_level (option code or its published weight).

Continuous indices are rounded to two decimals and banded on the rounded value, which is
the value a clinician sees. Every component is required: no index publishes a rule for a
missing component.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_noop

from coproduce.instruments.results import Band, Mcid, Number, Rule, ScoreResult
from coproduce.instruments.rules import result

MISSING = "{name} needs every component; no rule for a missing component is published."


def _require(
    definition: Any, values: Mapping[str, Number], fields: tuple[str, ...]
) -> ScoreResult | None:
    missing = [f for f in fields if f not in values]
    if not missing:
        return None
    reason = f"Not entered: {', '.join(missing)}. " + MISSING.format(name=definition.title)
    return result(definition, None, reason=reason, values=values)


# DAS28 ----------------------------------------------------------------------------------
# Prevoo et al., Arthritis Rheum 1995;38:44-8 (formulas; DAS28-CRP as published on
# das-score.nl). Cut-offs (Fransen & van Riel, Clin Exp Rheumatol 2005;23:S93-9):
# remission < 2.6, low <= 3.2, moderate <= 5.1, high > 5.1. The same cut-offs are used for
# DAS28-CRP here, as in CLINICAL.md, although DAS28-CRP runs lower than DAS28-ESR.
# EULAR response: a change of more than 1.2 is a clinically important change
# (van Gestel et al., Arthritis Rheum 1996;39:34-40).

DAS28_BANDS = (
    Band("remission", gettext_noop("Remission"), 2.6),
    Band("low", gettext_noop("Low disease activity"), 3.2, inclusive=True),
    Band("moderate", gettext_noop("Moderate disease activity"), 5.1, inclusive=True),
    Band("high", gettext_noop("High disease activity")),
)
DAS28_MCID = Mcid("van Gestel et al., Arthritis Rheum 1996;39:34-40 (EULAR)", 1.2, strict=True)


def score_das28_esr(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    fields = ("tjc28", "sjc28", "esr", "gh")
    missing = _require(definition, values, fields)
    if missing:
        return missing
    das = (
        0.56 * math.sqrt(values["tjc28"])
        + 0.28 * math.sqrt(values["sjc28"])
        + 0.70 * math.log(values["esr"])
        + 0.014 * values["gh"]
    )
    return result(definition, round(das, 2), DAS28_BANDS, values=values)


def score_das28_crp(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    fields = ("tjc28", "sjc28", "crp_mg_l", "gh")
    missing = _require(definition, values, fields)
    if missing:
        return missing
    das = (
        0.56 * math.sqrt(values["tjc28"])
        + 0.28 * math.sqrt(values["sjc28"])
        + 0.36 * math.log(values["crp_mg_l"] + 1)
        + 0.014 * values["gh"]
        + 0.96
    )
    return result(definition, round(das, 2), DAS28_BANDS, values=values)


# CDAI and SDAI ------------------------------------------------------------------------
# Aletaha et al., Arthritis Res Ther 2005;7:R796-806 (CDAI); Smolen et al., Rheumatology
# 2003;42:244-57 (SDAI, CRP in mg/dL). Cut-offs (Aletaha & Smolen, Clin Exp Rheumatol
# 2005;23:S100-8): CDAI remission <= 2.8, low <= 10, moderate <= 22, high > 22;
# SDAI remission <= 3.3, low <= 11, moderate <= 26, high > 26. Published minimal important
# changes depend on the starting level, so no single threshold is applied.

CDAI_BANDS = (
    Band("remission", gettext_noop("Remission"), 2.8, inclusive=True),
    Band("low", gettext_noop("Low disease activity"), 10, inclusive=True),
    Band("moderate", gettext_noop("Moderate disease activity"), 22, inclusive=True),
    Band("high", gettext_noop("High disease activity")),
)
SDAI_BANDS = (
    Band("remission", gettext_noop("Remission"), 3.3, inclusive=True),
    Band("low", gettext_noop("Low disease activity"), 11, inclusive=True),
    Band("moderate", gettext_noop("Moderate disease activity"), 26, inclusive=True),
    Band("high", gettext_noop("High disease activity")),
)
CDAI_FIELDS = ("tjc28", "sjc28", "ptga", "evga")


def score_cdai(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    missing = _require(definition, values, CDAI_FIELDS)
    if missing:
        return missing
    total = sum(values[f] for f in CDAI_FIELDS)
    return result(definition, round(total, 2), CDAI_BANDS, values=values)


def score_sdai(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    missing = _require(definition, values, (*CDAI_FIELDS, "crp_mg_dl"))
    if missing:
        return missing
    total = sum(values[f] for f in CDAI_FIELDS) + values["crp_mg_dl"]
    return result(definition, round(total, 2), SDAI_BANDS, values=values)


# Harvey-Bradshaw Index -------------------------------------------------------------------
# Harvey & Bradshaw, Lancet 1980;1:514. Bands (Best, Inflamm Bowel Dis 2006;12:304-10):
# < 5 remission, 5-7 mild, 8-16 moderate, > 16 severe. A fall of 3 points corresponds to
# the CDAI-70 response (Vermeire et al., Clin Gastroenterol Hepatol 2010;8:357-63).

HBI_COMPLICATIONS = (
    "arthralgia",
    "uveitis",
    "erythema_nodosum",
    "aphthous_ulcers",
    "pyoderma_gangrenosum",
    "anal_fissure",
    "new_fistula",
    "abscess",
)
HBI_FIELDS = ("wellbeing", "abdominal_pain", "liquid_stools", "abdominal_mass")
HBI_BANDS = (
    Band("remission", gettext_noop("Remission"), 5),
    Band("mild", gettext_noop("Mild disease"), 7, inclusive=True),
    Band("moderate", gettext_noop("Moderate disease"), 16, inclusive=True),
    Band("severe", gettext_noop("Severe disease")),
)


def score_hbi(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    missing = _require(definition, values, HBI_FIELDS + HBI_COMPLICATIONS)
    if missing:
        return missing
    total = sum(values[f] for f in HBI_FIELDS) + sum(values[c] for c in HBI_COMPLICATIONS)
    complications = sum(values[c] for c in HBI_COMPLICATIONS)
    return result(
        definition, total, HBI_BANDS, derived={"complications": complications}, values=values
    )


# PUCAI ---------------------------------------------------------------------------------
# Turner et al., Gastroenterology 2007;133:423-32: six items, 0-85. < 10 remission, 10-34
# mild, 35-64 moderate, >= 65 severe. A fall of 20 points or more is a clinical response.

PUCAI_FIELDS = (
    "abdominal_pain",
    "rectal_bleeding",
    "stool_consistency",
    "stools_per_24h",
    "nocturnal_stools",
    "activity_level",
)
PUCAI_BANDS = (
    Band("remission", gettext_noop("Remission"), 10),
    Band("mild", gettext_noop("Mild disease"), 35),
    Band("moderate", gettext_noop("Moderate disease"), 65),
    Band("severe", gettext_noop("Severe disease")),
)


def score_pucai(definition: Any, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    missing = _require(definition, values, PUCAI_FIELDS)
    if missing:
        return missing
    return result(definition, sum(values[f] for f in PUCAI_FIELDS), PUCAI_BANDS, values=values)


NO_SINGLE_MCID = "no single published threshold (it depends on the starting level)"

INDEX_RULES: dict[str, Rule] = {
    "das28-esr": Rule(score_das28_esr, ("1.0",), DAS28_BANDS, DAS28_MCID),
    "das28-crp": Rule(score_das28_crp, ("1.0",), DAS28_BANDS, DAS28_MCID),
    "cdai": Rule(score_cdai, ("1.0",), CDAI_BANDS, None, no_mcid_reason=NO_SINGLE_MCID),
    "sdai": Rule(score_sdai, ("1.0",), SDAI_BANDS, None, no_mcid_reason=NO_SINGLE_MCID),
    "hbi": Rule(
        score_hbi,
        ("1.0",),
        HBI_BANDS,
        Mcid(
            "Vermeire et al., Clin Gastroenterol Hepatol 2010;8:357-63",
            points=3,
            note="Published as response (a fall); the same 3 points are applied to a rise.",
        ),
    ),
    "pucai": Rule(
        score_pucai,
        ("1.0",),
        PUCAI_BANDS,
        Mcid(
            "Turner et al., Gastroenterology 2007;133:423-32",
            points=20,
            note="Published as response (a fall); the same 20 points are applied to a rise.",
        ),
    ),
}
INDEX_IDS = tuple(INDEX_RULES)
