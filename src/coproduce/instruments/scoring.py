"""Public scoring API: validate answers, score them, and interpret change over time.

Pure functions over in-memory definitions: no ORM query (after an imported version's first
load) and no FHIR model validation here, because check-ins and batch scoring call this for
every response. FHIR validation happens once, when a Questionnaire is imported.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from coproduce.instruments.definitions import Definition, Item
from coproduce.instruments.expressions import calculated_values
from coproduce.instruments.indices import INDEX_IDS, INDEX_RULES
from coproduce.instruments.library import UnknownInstrument, get_definition
from coproduce.instruments.results import (
    Band,
    Change,
    InvalidResponse,
    Number,
    Rule,
    ScoreResult,
    band_of,
)
from coproduce.instruments.rules import PATIENT_RULES, result, score_unscored
from coproduce.platform.text import clean_data

__all__ = [
    "INDEX_IDS",
    "Change",
    "InvalidResponse",
    "ScoreResult",
    "UnknownInstrument",
    "band_for",
    "change",
    "rule_for",
    "score",
    "score_definition",
    "validate_answers",
    "with_calculated",
]

RULES: dict[str, Rule] = {**PATIENT_RULES, **INDEX_RULES}
MAX_TEXT = 10_000
_INT = re.compile(r"^[+-]?\d+$")
_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


# Validation ------------------------------------------------------------------------------


def _describe(item: Item) -> str:
    text = item.text if len(item.text) <= 60 else item.text[:57] + "..."
    return f'"{text}"' if text else item.link_id


def _range_text(item: Item) -> str:
    if item.min_value is not None and item.max_value is not None:
        return f" from {item.min_value:g} to {item.max_value:g}"
    if item.min_value is not None:
        return f" of at least {item.min_value:g}"
    if item.max_value is not None:
        return f" of at most {item.max_value:g}"
    return ""


def _check_range(item: Item, value: Number, kind: str) -> Number:
    low, high = item.min_value, item.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidResponse(
            item.link_id, f"{_describe(item)} needs {kind}{_range_text(item)}; got {value:g}"
        )
    return value


def _choice(item: Item, raw: Any) -> tuple[str, Number | None]:
    """Return (code, weight) for an option given by code or by integer weight."""
    if isinstance(raw, str):
        option = item.by_code.get(raw) or item.by_code.get(raw.strip())
        if option is not None:
            return option.code, option.weight
        if _INT.match(raw.strip()):
            raw = int(raw.strip())
        elif item.type == "open-choice":
            text = raw.strip()
            if len(text) > MAX_TEXT:
                raise InvalidResponse(item.link_id, f"answer is longer than {MAX_TEXT} characters")
            return text, None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        matches = item.by_weight.get(raw, [])
        if len(matches) == 1:
            return matches[0].code, matches[0].weight
        if len(matches) > 1:
            raise InvalidResponse(
                item.link_id, f"{raw} is the weight of several answers; give the answer's code"
            )
    codes = ", ".join(o.code for o in item.options)
    weights = sorted(item.by_weight)
    allowed = f"one of the codes {codes}"
    if weights:
        allowed += f" or a weight from {weights[0]:g} to {weights[-1]:g}"
    raise InvalidResponse(item.link_id, f"{_describe(item)}: {raw!r} is not {allowed}")


def _one_of_the_options(item: Item, value: Any, raw: Any) -> Any:
    """An integer, date, time or string item with answerOption takes only those values."""
    if item.options and str(value) not in item.by_code:
        allowed = ", ".join(o.code for o in item.options)
        raise InvalidResponse(item.link_id, f"{_describe(item)}: {raw!r} is not one of {allowed}")
    return value


def _clean_one(item: Item, raw: Any) -> tuple[Any, Number | None]:
    value, number = _clean_value(item, raw)
    if item.type not in ("choice", "open-choice"):
        _one_of_the_options(item, value, raw)
        option = item.by_code.get(str(value))
        if option is not None and option.weight is not None:
            number = option.weight
    return value, number


def _needs(item: Item, what: str, raw: Any) -> InvalidResponse:
    return InvalidResponse(item.link_id, f"{_describe(item)} needs {what}; got {raw!r}")


def _clean_dates(item: Item, raw: Any) -> str:
    """FHIR date, dateTime and time values from what a person or a client sends."""
    text = raw.strip() if isinstance(raw, str) else ""
    kind = item.type
    try:
        if kind == "date":
            if _PARTIAL_DATE.match(text):  # FHIR allows a year, or a year and month
                return text
            return dt.date.fromisoformat(text).isoformat()
        if kind == "time":
            return dt.time.fromisoformat(text).replace(microsecond=0).isoformat(timespec="seconds")
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        what = {"date": "a date (YYYY-MM-DD)", "time": "a time (HH:MM)"}.get(
            kind, "a date and time (YYYY-MM-DDTHH:MM)"
        )
        raise _needs(item, what, raw) from None
    if timezone.is_naive(moment):  # a browser's datetime-local: the clinic's own zone
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment.replace(microsecond=0).isoformat(timespec="seconds")


def _clean_quantity(item: Item, raw: Any) -> tuple[dict[str, Any], Number | None]:
    """A FHIR Quantity: the number, and the item's unit (one of its unitOptions if several)."""
    given = raw.get("value") if isinstance(raw, dict) else raw
    number_item = Item(item.link_id, "decimal", item.text, min_value=item.min_value,
                       max_value=item.max_value)  # fmt: skip
    value, number = _clean_value(number_item, given)
    if isinstance(value, float) and value.is_integer():
        value = number = int(value)
    units = item.units or ((item.unit,) if item.unit else ())
    sent = (raw.get("code") or raw.get("unit")) if isinstance(raw, dict) else None
    if sent:
        unit = next((u for u in units if sent in (u.get("code"), u.get("unit"))), None)
        if unit is None and units:
            allowed = ", ".join(u.get("unit", "") for u in units)
            raise InvalidResponse(item.link_id, f"{_describe(item)} is in {allowed}, not {sent}")
        if unit is None:  # the Questionnaire names no unit: keep the one given
            unit = {k: str(raw[k]) for k in ("unit", "system", "code") if raw.get(k)}
    elif len(units) > 1:
        allowed = ", ".join(u.get("unit", "") for u in units)
        raise InvalidResponse(item.link_id, f"{_describe(item)}: choose the unit ({allowed})")
    else:
        unit = units[0] if units else {}
    return {"value": value, **unit}, number


def _clean_value(item: Item, raw: Any) -> tuple[Any, Number | None]:
    kind = item.type
    if kind in ("choice", "open-choice"):
        return _choice(item, raw)
    if kind in ("date", "dateTime", "time"):
        return _clean_dates(item, raw), None
    if kind == "quantity":
        return _clean_quantity(item, raw)
    if kind == "url":
        text = raw.strip() if isinstance(raw, str) else raw
        try:
            URLValidator()(text)
        except (ValidationError, TypeError):
            raise _needs(item, "a web address (https://...)", raw) from None
        return text, None
    if kind == "integer":
        value: Any = raw
        if isinstance(raw, str) and _INT.match(raw.strip()):
            value = int(raw.strip())
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidResponse(
                item.link_id,
                f"{_describe(item)} needs a whole number{_range_text(item)}; got {raw!r}",
            )
        _check_range(item, value, "a whole number")
        return value, value
    if kind == "decimal":
        value = raw
        if isinstance(raw, str):
            try:
                value = float(raw.strip())
            except ValueError:
                value = raw
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidResponse(
                item.link_id, f"{_describe(item)} needs a number{_range_text(item)}; got {raw!r}"
            )
        _check_range(item, value, "a number")
        return value, value
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, int(raw)
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw), raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            flag = raw.strip().lower() in _TRUE
            return flag, int(flag)
        raise InvalidResponse(item.link_id, f"{_describe(item)} needs yes or no; got {raw!r}")
    if kind in ("string", "text"):
        if not isinstance(raw, str):
            raise InvalidResponse(item.link_id, f"{_describe(item)} needs text; got {raw!r}")
        if len(raw) > MAX_TEXT:
            raise InvalidResponse(item.link_id, f"answer is longer than {MAX_TEXT} characters")
        return raw, None
    raise InvalidResponse(item.link_id, f"{_describe(item)}: {kind} answers are not taken")


def _clean(definition: Definition, answers: Any) -> tuple[dict[str, Any], dict[str, Number]]:
    if not isinstance(answers, Mapping):
        raise InvalidResponse("", "answers must be an object mapping linkId to answer")
    # Every way in (web pages, JSON API, FHIR, CLI) parses answers here, so text is made
    # storable here once: no NUL, no lone surrogate (see platform/text.py).
    answers = clean_data(dict(answers))
    item_map = definition.item_map
    cleaned: dict[str, Any] = {}
    values: dict[str, Number] = {}
    for link_id, raw in answers.items():
        if link_id.startswith("_"):
            _check_meta(definition, link_id, raw)
            continue
        item = item_map.get(link_id)
        if item is None or not item.answerable:
            raise InvalidResponse(
                link_id,
                f"no such question in {definition.id} version {definition.version}",
            )
        if raw is None or raw == "" or raw == [] or item.read_only:
            continue  # read-only items are computed (with_calculated), never taken as given
        if item.repeats and isinstance(raw, list):
            cleaned[link_id] = [_clean_one(item, r)[0] for r in raw if r not in (None, "")]
            continue
        if isinstance(raw, list | dict) and item.type != "quantity":
            raise InvalidResponse(link_id, f"{_describe(item)} takes one answer; got {raw!r}")
        value, number = _clean_one(item, raw)
        cleaned[link_id] = value
        if number is not None:
            values[link_id] = number
    return cleaned, values


def _check_meta(definition: Definition, key: str, raw: Any) -> None:
    if key == "_version":
        if raw not in (None, "") and str(raw) != definition.version:
            raise InvalidResponse(
                key,
                f"these answers are for {definition.id} version {raw}, "
                f"not version {definition.version}",
            )
    elif key == "_instrument":
        if raw not in (None, "") and str(raw) != definition.id:
            raise InvalidResponse(key, f"these answers are for {raw}, not {definition.id}")
    elif key != "_id":
        raise InvalidResponse(key, "unknown field (allowed: _id, _version, _instrument)")


def validate_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned answers (choice answers as option codes) or InvalidResponse naming the item."""
    return _clean(definition, answers)[0]


def with_calculated(definition: Definition, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned answers plus the Questionnaire's own computed items (FHIRPath, readOnly)."""
    return {**cleaned, **calculated_values(definition, cleaned)}


# Scoring ------------------------------------------------------------------------------


def _generic(definition: Definition, values: Mapping[str, Number], cleaned: Any) -> ScoreResult:
    """Imported instruments: the Questionnaire's own calculated total if it has one, else the
    sum (or mean) of answer weights; then an optional raw-to-T table and bands."""
    total = own_total(definition)
    weighted = [i for i in definition.items if i.weighted and not i.repeats]
    if total is None and not weighted:
        return score_unscored(definition, values, cleaned)
    needed = weighted if total is None else [i for i in definition.items
                                             if (i.weighted or i.required) and i.asked]  # fmt: skip
    asked = [i for i in needed if definition.is_enabled(i, cleaned)]
    missing = [i.link_id for i in asked if i.link_id not in cleaned]
    if missing:
        reason = (
            f"Not answered: {', '.join(missing)}. No missing-item rule is recorded for this "
            "imported instrument, so no score is given."
        )
        return result(definition, None, reason=reason, values=values)
    derived: dict[str, Any] = {}
    if total is not None:
        derived["total_item"] = total.link_id
        if total.link_id not in values:
            reason = f"The Questionnaire's own total ({total.link_id}) gave no value."
            return result(definition, None, reason=reason, derived=derived, values=values)
        raw: Number = values[total.link_id]
    else:
        raw = sum(values[i.link_id] for i in asked)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    derived["raw"] = raw
    scoring = definition.scoring
    score: Number = raw
    if scoring.get("method") == "mean" and asked and total is None:
        score = round(raw / len(asked), 4)
    table = scoring.get("raw_to_t")
    if table:
        key = str(int(raw)) if float(raw).is_integer() else str(raw)
        if key not in table:
            return result(
                definition,
                None,
                reason=f"Raw score {raw} is not in the instrument's raw-to-T table.",
                derived=derived,
                values=values,
            )
        score = table[key]
    bands = tuple(
        Band(b["code"], b.get("label", b["code"]), b.get("max", math.inf), inclusive=True)
        for b in scoring.get("bands", ())
    )
    return result(definition, score, bands, derived=derived, values=values)


def own_total(definition: Definition) -> Item | None:
    """The last calculated number item: SDC forms put their total score after the items."""
    numeric = [
        i
        for i in definition.items
        if i.calculated and i.type in ("integer", "decimal", "quantity") and not i.repeats
    ]
    chosen = definition.scoring.get("total_item")
    if chosen:
        return next((i for i in numeric if i.link_id == chosen), None)
    return numeric[-1] if numeric else None


GENERIC = Rule(_generic, (), (), None)


def rule_for(definition: Definition) -> Rule:
    """The scoring rule of this exact version; imported versions are scored generically."""
    if definition.kind == "imported":
        return GENERIC
    rule = RULES.get(definition.id)
    if rule is None or definition.version not in rule.versions:
        raise UnknownInstrument(definition.id, definition.version, "no scoring rules")
    return rule


def score_definition(definition: Definition, answers: Mapping[str, Any]) -> ScoreResult:
    cleaned, values = _clean(definition, answers)
    if definition.kind == "imported":
        computed = calculated_values(definition, cleaned)
        cleaned = {**cleaned, **computed}
        for link_id, value in computed.items():
            number = value.get("value") if isinstance(value, dict) else value
            if isinstance(number, int | float) and not isinstance(number, bool):
                values[link_id] = number
    return rule_for(definition).scorer(definition, values, cleaned)


def score(instrument_id: str, version: str | None, answers: Mapping[str, Any]) -> ScoreResult:
    """Validate and score one response to the exact instrument version it answered."""
    return score_definition(get_definition(instrument_id, version), answers)


def band_for(instrument_id: str, value: Number) -> tuple[str, str] | None:
    """(code, plain-language label) of the band a score falls in, if the instrument has bands."""
    rule = RULES.get(instrument_id)
    band = band_of(rule.bands, value) if rule else None
    return (band.code, band.label) if band else None


# Change -------------------------------------------------------------------------------

_EPSILON = 1e-9


def change(instrument_id: str, before: ScoreResult, after: ScoreResult) -> Change:
    """Whether the change from ``before`` to ``after`` is clinically important, and which way."""
    for label, res in (("before", before), ("after", after)):
        if res.instrument_id != instrument_id:
            raise ValueError(f"{label} is a {res.instrument_id} result, not {instrument_id}")
    rule = RULES.get(instrument_id, GENERIC)
    mcid = rule.mcid
    source = mcid.source if mcid else ""
    threshold = (mcid.description + (f" ({mcid.note})" if mcid.note else "")) if mcid else ""
    if before.score is None or after.score is None:
        return Change(
            instrument_id, before.score, after.score, None, None, "unknown", False,
            threshold or rule.no_mcid_reason, source or "a score is missing",
        )  # fmt: skip
    difference = after.score - before.score
    if isinstance(difference, float):
        difference = round(difference, 4)
    base_before = before.derived.get("sum", before.score)
    base_after = after.derived.get("sum", after.score)
    percent = (base_after - base_before) / base_before if base_before else None
    if mcid is None:
        return Change(
            instrument_id, before.score, after.score, difference, percent,
            "not interpretable", False, rule.no_mcid_reason, "",
        )  # fmt: skip
    important = False
    if mcid.points is not None:
        size = abs(difference)
        important = size > mcid.points + _EPSILON if mcid.strict else size >= mcid.points - _EPSILON
    # From a zero baseline any rise is an unbounded relative change (percent is None).
    relative = percent is None or abs(percent) >= (mcid.percent or 0) - _EPSILON
    if mcid.percent is not None and difference != 0 and relative:
        important = True
    improved = difference < 0 if rule.higher_is_worse else difference > 0
    direction = ("better" if improved else "worse") if important else "no important change"
    return Change(
        instrument_id, before.score, after.score, difference, percent, direction, important,
        threshold, source,
    )  # fmt: skip
