"""Instrument definitions: a light, immutable view of a FHIR R4 Questionnaire.

The JSON Questionnaire is the source of truth (shipped files in ``library/`` or imported
rows in ``InstrumentVersion``). ``Definition`` parses it once into plain dataclasses so that
scoring and rendering never walk FHIR JSON or run FHIR model validation on the hot path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Answer-option weights: R4 core ``ordinalValue``, the newer ``itemWeight`` and the legacy
# ISO 21090 extension all carry the same meaning; lforms and others use each of them.
WEIGHT_URLS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
)
MIN_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
# coproduce's own extensions. The URL is a namespace, not something fetched at runtime.
NS = "https://coproduce.org/fhir/StructureDefinition/"
RENDER_URL = NS + "render-as"  # valueCode "buttons": a 0-10 style scale shown as buttons
ANCHOR_LOW_URL = NS + "anchor-low"  # valueString under the lowest button
ANCHOR_HIGH_URL = NS + "anchor-high"
CITATION_URL = NS + "citation"  # valueString, repeatable
SCREENING_URL = NS + "screening-rule"  # PHQ-2 style gate, see ScreeningRule
CONFIDENTIAL_URL = NS + "confidential-from-clinician"  # valueBoolean
KIND_URL = NS + "instrument-kind"  # valueCode "patient" | "clinician"
# valueString, in English: the period the questions ask about ("the last 2 weeks"), said to
# the patient where it changes from one instrument to the next (checkins.flow).
RECALL_URL = NS + "recall-period"

ANSWER_TYPES = frozenset(
    {
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
    }
)
ITEM_TYPES = ANSWER_TYPES | {"group", "display", "question"}
# Answer types a check-in cannot take: refused at import, by name (never a number box).
UNSUPPORTED_TYPES = {
    "attachment": "files",
    "reference": "references to other FHIR resources",
}
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
CALCULATED_URL = SDC + "sdc-questionnaire-calculatedExpression"
VARIABLE_URL = "http://hl7.org/fhir/StructureDefinition/variable"
ENABLE_EXPRESSION_URL = SDC + "sdc-questionnaire-enableWhenExpression"
# FHIRPath expressions coproduce evaluates; their syntax is checked at import.
EXPRESSION_URLS = (CALCULATED_URL, VARIABLE_URL, ENABLE_EXPRESSION_URL)


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option: the code stored, the text shown, and its scoring weight."""

    code: str
    display: str
    weight: float | int | None = None
    system: str | None = None
    value_key: str = "valueCoding"  # the answerOption's value[x]: valueInteger, valueDate...
    value: Any = None


@dataclass(frozen=True, slots=True)
class EnableWhen:
    question: str
    operator: str
    answer: Any


@dataclass(frozen=True, slots=True)
class ScreeningRule:
    """Ask ``then_ask`` only when the weights of ``items`` sum to at least ``threshold``.

    FHIR ``enableWhen`` compares single answers, so a sum gate (PHQ-2 >= 3 opens the rest of
    the PHQ-9) is carried as this explicit rule. A schedule opts in; without it every item
    is asked.
    """

    items: tuple[str, ...]
    threshold: float
    then_ask: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Item:
    link_id: str
    type: str
    text: str
    required: bool = False
    repeats: bool = False
    prefix: str = ""
    options: tuple[Option, ...] = ()
    min_value: float | int | None = None
    max_value: float | int | None = None
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str = "all"
    render: str | None = None
    anchors: tuple[str, str] | None = None
    page: str | None = None
    read_only: bool = False
    calculated: str | None = None  # an SDC calculatedExpression (FHIRPath)
    enable_expression: str | None = None  # an SDC enableWhenExpression (FHIRPath)
    variables: tuple[tuple[str, str], ...] = ()
    initial: Any = None
    unit: dict[str, str] | None = None  # a quantity's unit: {"unit", "system", "code"}
    units: tuple[dict[str, str], ...] = ()  # every questionnaire-unitOption, if several
    by_code: dict[str, Option] = field(default_factory=dict, repr=False)
    by_weight: dict[float | int, list[Option]] = field(default_factory=dict, repr=False)

    @property
    def weighted(self) -> bool:
        return any(o.weight is not None for o in self.options)

    @property
    def answerable(self) -> bool:
        return self.type in ANSWER_TYPES

    @property
    def asked(self) -> bool:
        """Answered by the person: read-only and calculated items are computed instead."""
        return self.answerable and not self.read_only


@dataclass(frozen=True, eq=False)
class Page:
    """A screen of the check-in flow: a top-level group (its text is the stem)."""

    link_id: str
    text: str
    items: tuple[Item, ...]


@dataclass(frozen=True, eq=False)
class Definition:
    """One exact version of an instrument, parsed from its Questionnaire JSON."""

    id: str
    version: str
    title: str
    status: str
    questionnaire: dict[str, Any] = field(repr=False)
    items: tuple[Item, ...] = field(repr=False)
    pages: tuple[Page, ...] = field(repr=False)
    license: str = ""
    citations: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)  # its own and every official translation's
    catalogue: bool = False  # coproduce's own questions, translated by the catalogues
    kind: str = "shipped"
    audience: str = "patient"
    screening: ScreeningRule | None = None
    confidential: bool = False
    recall_period: str = ""  # English; shown through the catalogues (gettext)
    scoring: dict[str, Any] = field(default_factory=dict, repr=False)
    variables: tuple[tuple[str, str], ...] = ()
    item_map: dict[str, Item] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    @property
    def citation(self) -> str:
        return "; ".join(self.citations)

    def item(self, link_id: str) -> Item:
        return self.item_map[link_id]

    def is_enabled(
        self, item: Item, answers: Mapping[str, Any], *, screening: bool = False
    ) -> bool:
        """Whether ``item`` is asked given the answers so far (enableWhen and the screen)."""
        if screening and self.screening and item.link_id in self.screening.then_ask:
            total = 0.0
            for link_id in self.screening.items:
                weight = _weight_of(self.item_map[link_id], answers.get(link_id))
                if weight is None:
                    return False
                total += weight
            if total < self.screening.threshold:
                return False
        conditions = list(item.enable_when)
        expressions = [item.enable_expression]
        if item.page and item.page in self.item_map:
            conditions += self.item_map[item.page].enable_when
            expressions.append(self.item_map[item.page].enable_expression)
        if any(e and not self._expression_holds(e, answers) for e in expressions):
            return False
        if not conditions:
            return True
        results = [_condition_holds(c, answers) for c in conditions]
        return any(results) if item.enable_behavior == "any" else all(results)

    def _expression_holds(self, expression: str, answers: Mapping[str, Any]) -> bool:
        from coproduce.instruments.expressions import holds

        return holds(self, expression, answers)

    def enabled_items(self, answers: Mapping[str, Any], *, screening: bool = False) -> list[Item]:
        return [i for i in self.items if self.is_enabled(i, answers, screening=screening)]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "kind": self.kind,
            "audience": self.audience,
            "items": len(self.items),
            "license": self.license,
            "citation": self.citation,
            "languages": list(self.languages),
        }


def _weight_of(item: Item, answer: Any) -> float | int | None:
    if answer is None:
        return None
    option = item.by_code.get(str(answer))
    if option is not None:
        return option.weight
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return answer
    return None


def _condition_holds(cond: EnableWhen, answers: Mapping[str, Any]) -> bool:
    given = answers.get(cond.question)
    if cond.operator == "exists":
        return (given not in (None, [])) == bool(cond.answer)
    if given is None:
        return False
    if isinstance(given, list):  # a repeating question: "=" any answer, "!=" no answer
        one = [_condition_holds(cond, {cond.question: g}) for g in given]
        return all(one) if cond.operator == "!=" else any(one)
    expected = cond.answer
    if isinstance(expected, dict):  # a Coding: compare codes
        expected = expected.get("code")
    if cond.operator == "=":
        return str(given) == str(expected) if isinstance(expected, str) else given == expected
    if cond.operator == "!=":
        return str(given) != str(expected) if isinstance(expected, str) else given != expected
    try:
        if cond.operator == ">":
            return given > expected
        if cond.operator == "<":
            return given < expected
        if cond.operator == ">=":
            return given >= expected
        if cond.operator == "<=":
            return given <= expected
    except TypeError:
        return False
    return False


def _ext(element: Mapping[str, Any], url: str) -> dict[str, Any] | None:
    for ext in element.get("extension", ()) or ():
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext
    return None


def _ext_value(element: Mapping[str, Any], url: str) -> Any:
    ext = _ext(element, url)
    if ext is None:
        return None
    for key, value in ext.items():
        if key.startswith("value"):
            return value
    return None


def weight_of_element(element: Mapping[str, Any]) -> Any:
    """The raw weight extension value of an answerOption or ValueSet concept, if any."""
    for url in WEIGHT_URLS:
        value = _ext_value(element, url)
        if value is not None:
            return value
    return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def _option_from_answer_option(option: Mapping[str, Any]) -> Option:
    weight = _number(weight_of_element(option))
    if "valueCoding" in option:
        coding = option["valueCoding"]
        code = str(coding.get("code", ""))
        return Option(code, str(coding.get("display", code)), weight, coding.get("system"))
    for key in ("valueInteger", "valueString", "valueDate", "valueTime"):
        if key in option:
            value = option[key]
            return Option(str(value), str(value), weight, value_key=key, value=value)
    raise ValueError("answerOption without a value")


def _value_set_options(vs: Mapping[str, Any]) -> tuple[Option, ...]:
    concepts: list[tuple[Mapping[str, Any], str | None]] = []
    for entry in (vs.get("expansion") or {}).get("contains", ()) or ():
        concepts.append((entry, entry.get("system")))
    if not concepts:
        for include in (vs.get("compose") or {}).get("include", ()) or ():
            for concept in include.get("concept", ()) or ():
                concepts.append((concept, include.get("system")))
    return tuple(
        Option(
            str(c.get("code", "")),
            str(c.get("display", c.get("code", ""))),
            _number(weight_of_element(c)),
            system,
        )
        for c, system in concepts
    )


def _contained_value_sets(questionnaire: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for res in questionnaire.get("contained", ()) or ():
        if isinstance(res, dict) and res.get("resourceType") == "ValueSet":
            if res.get("id"):
                found["#" + str(res["id"])] = res
            if res.get("url"):
                found[str(res["url"])] = res
    return found


UNIT_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
UNIT_OPTION_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption"


def _variables(element: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    found = []
    for ext in element.get("extension", ()) or ():
        if isinstance(ext, dict) and ext.get("url") == VARIABLE_URL:
            expression = ext.get("valueExpression") or {}
            if expression.get("name") and expression.get("expression"):
                found.append((str(expression["name"]), str(expression["expression"])))
    return tuple(found)


def _as_unit(coding: Any) -> dict[str, str] | None:
    if not isinstance(coding, dict):
        return None
    unit = {
        "unit": coding.get("display") or coding.get("code"),
        "system": coding.get("system"),
        "code": coding.get("code"),
    }
    return {k: str(v) for k, v in unit.items() if v}


def _units(raw: Mapping[str, Any]) -> tuple[dict[str, str], ...]:
    """The item's unit (questionnaire-unit), else its unitOptions, in the file's order."""
    found = [_as_unit(_ext_value(raw, UNIT_URL))]
    if found[0] is None:
        found = [
            _as_unit(ext.get("valueCoding"))
            for ext in raw.get("extension", ()) or ()
            if isinstance(ext, dict) and ext.get("url") == UNIT_OPTION_URL
        ]
    return tuple(u for u in found if u)


def _initial(raw: Mapping[str, Any]) -> Any:
    for entry in raw.get("initial", ()) or ():
        for key, value in entry.items():
            if key == "valueCoding":
                return str(value.get("code"))
            if key.startswith("value"):
                return value
    return None


def _parse_item(
    raw: Mapping[str, Any], value_sets: Mapping[str, Mapping[str, Any]], page: str | None
) -> Item:
    options: tuple[Option, ...] = ()
    if raw.get("answerOption"):
        options = tuple(_option_from_answer_option(o) for o in raw["answerOption"])
    elif raw.get("answerValueSet") and raw["answerValueSet"] in value_sets:
        options = _value_set_options(value_sets[raw["answerValueSet"]])
    by_weight: dict[float | int, list[Option]] = {}
    for option in options:
        if option.weight is not None:
            by_weight.setdefault(option.weight, []).append(option)
    low, high = _ext_value(raw, ANCHOR_LOW_URL), _ext_value(raw, ANCHOR_HIGH_URL)
    enable_when = tuple(
        EnableWhen(
            str(ew.get("question")),
            str(ew.get("operator")),
            next((v for k, v in ew.items() if k.startswith("answer")), None),
        )
        for ew in raw.get("enableWhen", ()) or ()
    )
    return Item(
        link_id=str(raw["linkId"]),
        type=str(raw.get("type")),
        text=str(raw.get("text", "")),
        required=bool(raw.get("required", False)),
        repeats=bool(raw.get("repeats", False)),
        prefix=str(raw.get("prefix", "")),
        options=options,
        min_value=_number(_ext_value(raw, MIN_VALUE_URL)),
        max_value=_number(_ext_value(raw, MAX_VALUE_URL)),
        enable_when=enable_when,
        enable_behavior=str(raw.get("enableBehavior", "all")),
        render=_ext_value(raw, RENDER_URL),
        anchors=(str(low or ""), str(high or "")) if (low or high) else None,
        page=page,
        read_only=bool(raw.get("readOnly")) or _ext(raw, CALCULATED_URL) is not None,
        calculated=(_ext_value(raw, CALCULATED_URL) or {}).get("expression"),
        enable_expression=(_ext_value(raw, ENABLE_EXPRESSION_URL) or {}).get("expression"),
        variables=_variables(raw),
        initial=_initial(raw),
        unit=(_units(raw) or (None,))[0],
        units=_units(raw) if raw.get("type") == "quantity" else (),
        by_code={o.code: o for o in options},
        by_weight=by_weight,
    )


def _walk(
    items: Any,
    value_sets: Mapping[str, Mapping[str, Any]],
    page: str | None,
    out: list[Item],
) -> None:
    for raw in items:
        item = _parse_item(raw, value_sets, page)
        out.append(item)
        if raw.get("item"):
            _walk(raw["item"], value_sets, page, out)


def parse_questionnaire(
    questionnaire: dict[str, Any],
    *,
    instrument_id: str | None = None,
    version: str | None = None,
    kind: str = "shipped",
    scoring: dict[str, Any] | None = None,
) -> Definition:
    """Build a Definition; the caller has checked the JSON (see ``importer``)."""
    value_sets = _contained_value_sets(questionnaire)
    every: list[Item] = []
    pages: list[Page] = []
    loose: list[Item] = []
    for raw in questionnaire.get("item", ()) or ():
        if raw.get("type") == "group":
            group_items: list[Item] = []
            group = _parse_item(raw, value_sets, None)
            every.append(group)
            _walk(raw.get("item", ()) or (), value_sets, group.link_id, group_items)
            every.extend(group_items)
            pages.append(Page(group.link_id, group.text, tuple(group_items)))
        else:
            item = _parse_item(raw, value_sets, None)
            every.append(item)
            loose.append(item)
            if raw.get("item"):
                nested: list[Item] = []
                _walk(raw["item"], value_sets, None, nested)
                every.extend(nested)
                loose.extend(nested)
    if loose:
        pages.insert(0, Page("", questionnaire.get("title", ""), tuple(loose)))
    item_map = {i.link_id: i for i in every}
    answerable = tuple(i for i in every if i.answerable)
    screening = None
    rule = _ext(questionnaire, SCREENING_URL)
    if rule:
        parts: dict[str, list[Any]] = {}
        for sub in rule.get("extension", ()):
            value = next((v for k, v in sub.items() if k.startswith("value")), None)
            parts.setdefault(sub["url"], []).append(value)
        screening = ScreeningRule(
            tuple(parts.get("item", ())),
            float(parts.get("threshold", [0])[0]),
            tuple(parts.get("thenAsk", ())),
        )
    from coproduce.instruments import translations

    language = translations.base_language(questionnaire.get("language"))
    return Definition(
        id=instrument_id or str(questionnaire.get("id") or ""),
        version=version or str(questionnaire.get("version") or ""),
        title=str(questionnaire.get("title") or questionnaire.get("name") or ""),
        status=str(questionnaire.get("status", "")),
        questionnaire=questionnaire,
        items=answerable,
        pages=tuple(pages),
        license=str(questionnaire.get("copyright", "")),
        citations=tuple(
            str(e.get("valueString"))
            for e in questionnaire.get("extension", ()) or ()
            if e.get("url") == CITATION_URL
        ),
        languages=tuple(dict.fromkeys((language, *translations.official_languages(questionnaire)))),
        catalogue=translations.by_catalogue(questionnaire),
        kind=kind,
        audience=str(_ext_value(questionnaire, KIND_URL) or "patient"),
        screening=screening,
        confidential=bool(_ext_value(questionnaire, CONFIDENTIAL_URL)),
        recall_period=str(_ext_value(questionnaire, RECALL_URL) or ""),
        scoring=dict(scoring or {}),
        variables=_variables(questionnaire),
        item_map=item_map,
    )
