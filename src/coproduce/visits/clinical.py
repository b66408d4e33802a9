"""What the dashboard needs to know about an instrument: title, range, bands, MCID.

The instrument library (``coproduce.instruments``) is the source of truth. While parts of it
are still being built, this module falls back to the published figures below, so that the
dashboard never invents a threshold of its own.

Sources (see ../shared/reference/CLINICAL.md):
- PHQ-9 bands 5/10/15/20 (Kroenke 2001); MCID 5 points (Löwe 2004, Kroenke 2001).
- GAD-7 bands 5/10/15 (Spitzer 2006); MCID 4 points (Toussaint 2020).
- PEG: no official bands; >= 30 % change is clinically meaningful (Krebs 2009).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext, gettext_noop

Number = float | int

#: English msgids: shown with gettext where a person reads them.
SEVERITY_WORDS = (
    gettext_noop("None or minimal"),
    gettext_noop("Mild"),
    gettext_noop("Moderate"),
    gettext_noop("Severe"),
)


@dataclass(frozen=True, slots=True)
class BandRange:
    code: str
    label: str  # English, as the instrument publishes it; ``shown`` is the reader's language
    lower: float
    upper: float
    level: int  # 0..3, drives the colour; the label always carries the meaning in words

    @property
    def shown(self) -> str:
        """The label in the reader's (active) language."""
        return gettext(self.label)

    @property
    def short(self) -> str:
        """The label without "symptoms of ...", to fit inside a chart, in the active language."""
        return gettext(self.label.split(" symptoms")[0].removesuffix(" or no"))


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    instrument_id: str
    title: str
    short: str
    plain: str  # what it measures, in plain words
    minimum: float
    maximum: float | None
    bands: tuple[BandRange, ...]
    higher_is_worse: bool = True

    def band_for(self, value: Number | None) -> BandRange | None:
        if value is None:
            return None
        for band in self.bands:
            if value < band.upper or band is self.bands[-1]:
                return band
        return None

    def band_by_code(self, code: str) -> BandRange | None:
        return next((b for b in self.bands if b.code == code), None)


@dataclass(frozen=True, slots=True)
class ChangeInfo:
    difference: float
    direction: str  # "better" | "worse" | "no important change"
    important: bool
    threshold: str


def _ranges(cuts: Sequence[tuple[str, str, float]], top: float) -> tuple[BandRange, ...]:
    """Band ranges from (code, label, lower bound) cuts, colour levels spread over 0..3."""
    out = []
    n = len(cuts)
    for i, (code, label, lower) in enumerate(cuts):
        upper = cuts[i + 1][2] if i + 1 < n else top
        level = round(i * 3 / (n - 1)) if n > 1 else 0
        out.append(BandRange(code, label, lower, upper, level))
    return tuple(out)


_PHQ_CUTS = [
    ("minimal", gettext_noop("Minimal"), 0),
    ("mild", gettext_noop("Mild"), 5),
    ("moderate", gettext_noop("Moderate"), 10),
    ("moderately-severe", gettext_noop("Moderately severe"), 15),
    ("severe", gettext_noop("Severe"), 20),
]

# Fallback facts, used only for what the instrument library does not (yet) provide.
FALLBACK: dict[str, dict[str, Any]] = {
    "phq9": {
        "title": "Patient Health Questionnaire (PHQ-9)",
        "short": "PHQ-9",
        "plain": "Mood",
        "max": 27,
        "bands": _ranges(_PHQ_CUTS, 27),
        "mcid": {"points": 5},
    },
    "phq8": {
        "title": "PHQ-8",
        "short": "PHQ-8",
        "plain": "Mood",
        "max": 24,
        "bands": _ranges(_PHQ_CUTS, 24),
        "mcid": {"points": 5},
    },
    "gad7": {
        "title": "Generalized Anxiety Disorder scale (GAD-7)",
        "short": "GAD-7",
        "plain": "Worry and anxiety",
        "max": 21,
        "bands": _ranges(
            [
                ("minimal", gettext_noop("Minimal"), 0),
                ("mild", gettext_noop("Mild"), 5),
                ("moderate", gettext_noop("Moderate"), 10),
                ("severe", gettext_noop("Severe"), 15),
            ],
            21,
        ),
        "mcid": {"points": 4},
    },
    "peg": {
        "title": "Pain, Enjoyment of life and General activity (PEG)",
        "short": "PEG",
        "plain": "Pain and how it gets in the way",
        "max": 10,
        "bands": (),
        "mcid": {"percent": 0.30},
    },
    "pain-nrs": {"title": "Pain intensity (0-10)", "short": "Pain", "plain": "Pain", "max": 10},
}


def _scoring_module():
    try:
        from coproduce.instruments import scoring
    except ImportError:
        return None
    return scoring


def _library_rule(instrument_id: str):
    """The library's scoring rule for an instrument (bands, MCID, direction), if any."""
    scoring = _scoring_module()
    rules = getattr(scoring, "RULES", None) if scoring else None
    return rules.get(instrument_id) if isinstance(rules, dict) else None


def _library_title(instrument_id: str) -> str | None:
    try:
        from coproduce.instruments.library import get_definition

        return get_definition(instrument_id).title
    except (ImportError, LookupError):  # an unknown instrument still gets a chart
        return None


@cache
def info(instrument_id: str) -> InstrumentInfo:
    """Everything the dashboard draws for `instrument_id` (library first, then fallback)."""
    fb = FALLBACK.get(instrument_id, {})
    bands: tuple[BandRange, ...] = fb.get("bands", ())
    maximum = fb.get("max")
    higher_is_worse = True
    rule = _library_rule(instrument_id)
    if rule is not None:
        higher_is_worse = getattr(rule, "higher_is_worse", True)
        lib_bands = tuple(getattr(rule, "bands", ()) or ())
        if lib_bands:
            top = maximum if maximum is not None else lib_bands[-1].upper
            if not math.isfinite(top):
                top = lib_bands[-2].upper * 1.25 if len(lib_bands) > 1 else 10
            cuts, lower = [], 0.0
            for band in lib_bands:
                cuts.append((band.code, band.label, lower))
                lower = band.upper
            bands = _ranges(cuts, top)
    title = _library_title(instrument_id) or fb.get("title") or instrument_id
    return InstrumentInfo(
        instrument_id=instrument_id,
        title=title,
        short=fb.get("short") or instrument_id.upper(),
        plain=fb.get("plain") or title,
        minimum=0,
        maximum=maximum,
        bands=bands,
        higher_is_worse=higher_is_worse,
    )


def change(instrument_id: str, before: Number, after: Number) -> ChangeInfo | None:
    """The change from `before` to `after`, marked important when it passes the MCID."""
    if _library_rule(instrument_id) is not None:
        from coproduce.instruments.results import ScoreResult
        from coproduce.instruments.scoring import change as library_change

        result = library_change(
            instrument_id,
            ScoreResult(instrument_id, "", before),
            ScoreResult(instrument_id, "", after),
        )
        if result.difference is None or result.direction == "not interpretable":
            return None
        return ChangeInfo(
            difference=float(result.difference),
            direction=result.direction,
            important=bool(result.important),
            threshold=result.threshold,
        )
    mcid = FALLBACK.get(instrument_id, {}).get("mcid")
    if mcid is None:
        return None
    diff = float(after - before)
    if "points" in mcid:
        important = abs(diff) >= mcid["points"]
        threshold = f"at least {mcid['points']:g} points"
    else:
        important = before > 0 and abs(diff) / before >= mcid["percent"]
        threshold = f"at least {mcid['percent'] * 100:g} % of the earlier score"
    worse = diff > 0 if info(instrument_id).higher_is_worse else diff < 0
    direction = ("worse" if worse else "better") if important else "no important change"
    return ChangeInfo(diff, direction, important, threshold)
