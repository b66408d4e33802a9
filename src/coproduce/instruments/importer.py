"""Checks of a FHIR R4 Questionnaire before a site imports it.

Two layers: coproduce's own checks (what the FHIR models do not enforce: required code
bindings, unique linkIds, numeric weights, integer ``answerInteger`` values, resolvable
references) and the ``fhir.resources`` R4B models (R4 content validates against R4B).

Before either, a file is refused whole when it is not R4 at all (STU3 elements such as
``option`` are recognised and named) or carries a ``modifierExtension`` (FHIR forbids
ignoring one, and coproduce knows none). After the models accept it, every value is
compared with what the models made of it: a JSON string where FHIR wants a boolean or a
number (``"true"``, ``"5"``) is refused, not silently coerced.

Tolerated, each with a warning stored on the imported version:

- ``Expression.name`` values such as ``q1_value``: R4 types the name as ``id`` (no
  underscore) while FHIRPath variable names cannot contain ``-``; SDC Questionnaires
  in the wild use underscores and R5 relaxed the type. FHIRPath refers to the variable as
  ``%q1_value`` either way.
- A ``text`` narrative without ``div``: the narrative is dropped on import (coproduce
  renders from the items), so what is stored validates.

Accepted without a warning: a primitive extension on an extension's value (``_valueString``
beside ``valueString``, e.g. a translation), which R4 allows but the R4B models reject; its
extensions are checked with the R4B ``Extension`` model instead.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from coproduce.instruments.definitions import (
    ANSWER_TYPES,
    EXPRESSION_URLS,
    ITEM_TYPES,
    UNSUPPORTED_TYPES,
    WEIGHT_URLS,
)

STATUSES = {"draft", "active", "retired", "unknown"}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")  # "_": REDCap form names
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_ERRORS = 12
# Elements that exist in STU3 Questionnaires and were renamed or removed in R4.
STU3_ITEM_KEYS = {
    "option": "answerOption",
    "options": "answerValueSet",
    **{f"initial{t}": "initial" for t in (
        "Boolean", "Decimal", "Integer", "Date", "DateTime", "Time", "String", "Uri",
        "Attachment", "Coding", "Quantity", "Reference",
    )},
}  # fmt: skip
# The answerOption value[x] that each item type may carry (R4 que-5 and the value types).
OPTION_VALUE_FOR = {
    "integer": "valueInteger",
    "date": "valueDate",
    "time": "valueTime",
    "string": "valueString",
    "text": "valueString",
}


class ImportRefused(ValueError):
    """The Questionnaire cannot be imported; ``problems`` says why, item by item."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_ERRORS]
        more = len(problems) - len(shown)
        super().__init__(
            "refused, nothing stored:\n  - "
            + "\n  - ".join(shown)
            + (f"\n  - ... and {more} more" if more > 0 else "")
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _weight_problems(element: dict, where: str) -> list[str]:
    problems = []
    for ext in element.get("extension", ()) or ():
        if isinstance(ext, dict) and ext.get("url") in WEIGHT_URLS:
            values = [v for k, v in ext.items() if k.startswith("value")]
            if len(values) != 1 or not _is_number(values[0]):
                problems.append(
                    f"{where}: weight {values[0] if values else None!r} is not a number"
                )
    return problems


def _own_checks(q: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if q.get("resourceType") != "Questionnaire":
        return [f"resourceType is {q.get('resourceType')!r}, not 'Questionnaire'"]
    if q.get("status") in (None, ""):
        problems.append("status is required (draft, active, retired or unknown)")
    elif q.get("status") not in STATUSES:
        problems.append(
            f"status {q.get('status')!r} is not one of {', '.join(sorted(STATUSES))} "
            "(a required binding)"
        )
    contained = {
        "#" + str(r.get("id")): r
        for r in q.get("contained", ()) or ()
        if isinstance(r, dict) and r.get("resourceType") == "ValueSet"
    }
    contained_urls = {str(vs.get("url")) for vs in contained.values() if vs.get("url")}
    for ref, vs in contained.items():
        for n, concept in enumerate((vs.get("expansion") or {}).get("contains", ()) or ()):
            problems += _weight_problems(concept, f"ValueSet {ref} concept {n + 1}")
    seen: dict[str, int] = {}
    enable_whens: list[tuple[str, dict]] = []

    def walk(items: Any, path: str) -> None:
        if not isinstance(items, list):
            problems.append(f"{path}: item must be a list")
            return
        for n, item in enumerate(items):
            where = f"{path}[{n}]"
            if not isinstance(item, dict):
                problems.append(f"{where}: not an object")
                continue
            link_id = item.get("linkId")
            if not isinstance(link_id, str) or not link_id:
                problems.append(f"{where}: linkId is missing")
            else:
                where = f"item {link_id!r}"
                seen[link_id] = seen.get(link_id, 0) + 1
            kind = item.get("type")
            if kind not in ITEM_TYPES:
                problems.append(f"{where}: type {kind!r} is not a Questionnaire item type")
            elif kind in UNSUPPORTED_TYPES:
                problems.append(
                    f"{where}: {kind} items are not supported (a check-in cannot take "
                    f"{UNSUPPORTED_TYPES[kind]}); remove the item or import without it"
                )
            if kind in ("choice", "open-choice"):
                ref = item.get("answerValueSet")
                if kind == "choice" and not item.get("answerOption") and not ref:
                    problems.append(f"{where}: a choice item needs answerOption or answerValueSet")
                if isinstance(ref, str) and ref.startswith("#") and ref not in contained:
                    problems.append(f"{where}: answerValueSet {ref} is not a contained ValueSet")
                elif (
                    kind == "choice"
                    and isinstance(ref, str)
                    and not item.get("answerOption")
                    and ref not in contained
                    and ref not in contained_urls
                ):
                    problems.append(
                        f"{where}: answerValueSet {ref} is not in the file, and coproduce makes "
                        "no calls to terminology servers; add it to contained, with its codes"
                    )
            for m, option in enumerate(item.get("answerOption", ()) or ()):
                values = [k for k in option if k.startswith("value")]
                if len(values) != 1:
                    problems.append(f"{where} answerOption {m + 1}: needs exactly one value[x]")
                expected = OPTION_VALUE_FOR.get(str(kind))
                if values and expected and values[0] != expected:
                    problems.append(
                        f"{where} answerOption {m + 1}: a {kind} item's options are "
                        f"{expected}, not {values[0]}"
                    )
                if values and kind in ("choice", "open-choice") and values[0] not in (
                    "valueCoding", "valueString", "valueInteger", "valueDate", "valueTime"
                ):  # fmt: skip
                    problems.append(f"{where} answerOption {m + 1}: {values[0]} is not allowed")
                if "valueInteger" in option and not _is_int(option["valueInteger"]):
                    problems.append(
                        f"{where} answerOption {m + 1}: valueInteger "
                        f"{option['valueInteger']!r} is not an integer"
                    )
                problems.extend(_weight_problems(option, f"{where} answerOption {m + 1}"))
            for ew in item.get("enableWhen", ()) or ():
                enable_whens.append((where, ew))
            if item.get("item"):
                walk(item["item"], f"{where}.item")

    if not q.get("item"):
        problems.append("the Questionnaire has no items")
    else:
        walk(q["item"], "item")
    for link_id, count in seen.items():
        if count > 1:
            problems.append(f"linkId {link_id!r} is used by {count} items; linkIds must be unique")
    for where, ew in enable_whens:
        if ew.get("question") not in seen:
            problems.append(f"{where}: enableWhen refers to unknown item {ew.get('question')!r}")
        if ew.get("operator") not in OPERATORS:
            problems.append(f"{where}: enableWhen operator {ew.get('operator')!r} is not allowed")
        answers = [k for k in ew if k.startswith("answer")]
        if len(answers) != 1:
            problems.append(f"{where}: enableWhen needs exactly one answer[x]")
        if "answerInteger" in ew and not _is_int(ew["answerInteger"]):
            problems.append(
                f"{where}: enableWhen answerInteger {ew['answerInteger']!r} is not an integer"
            )
    return problems


def _item_at(q: dict[str, Any], loc: tuple) -> str:
    """Name the deepest item (by linkId) on a pydantic error location."""
    node: Any = q
    name = ""
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "linkId" in node:
            name = f"item {node['linkId']!r}: "
    return name


def _is_expression_name(error: Any) -> bool:
    loc = error.get("loc", ())
    return (
        len(loc) >= 2
        and loc[-2:] == ("valueExpression", "name")
        and error.get("type") == "string_pattern_mismatch"
    )


def _read_r5_coding_as_choice(items: Any) -> list[str]:
    changed: list[str] = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            if item.get("type") == "coding":
                item["type"] = "choice"
                changed.append(str(item.get("linkId")))
            changed += _read_r5_coding_as_choice(item.get("item"))
    return changed


def _nodes(node: Any, path: str = "") -> Any:
    """Every JSON object in ``node`` with its path (``item[0].answerOption[1]``)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _nodes(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _nodes(value, f"{path}[{n}]")


def _where(node: dict, path: str) -> str:
    return f"item {node['linkId']!r}" if isinstance(node.get("linkId"), str) else path or "root"


def _not_r4_problems(q: dict[str, Any]) -> list[str]:
    """STU3 elements, and modifierExtensions (which coproduce must not ignore)."""
    stu3: list[str] = []
    modifiers: list[str] = []
    for path, node in _nodes(q):
        for ext in node.get("modifierExtension", ()) or ():
            url = ext.get("url") if isinstance(ext, dict) else None
            modifiers.append(
                f"{_where(node, path)}: modifierExtension {url!r} is not understood by "
                "coproduce, and FHIR forbids ignoring a modifier"
            )
        if "linkId" in node:
            for key, r4 in STU3_ITEM_KEYS.items():
                if key in node:
                    stu3.append(f"{_where(node, path)} uses {key!r} (R4: {r4})")
            for ew in node.get("enableWhen", ()) or ():
                if isinstance(ew, dict) and "hasAnswer" in ew:
                    stu3.append(f"{_where(node, path)}: enableWhen uses 'hasAnswer' (R4: operator)")
    if stu3:
        return [
            "this is a FHIR STU3 Questionnaire, and coproduce imports R4: convert it to R4 first "
            f"({'; '.join(stu3[:3])}{'; ...' if len(stu3) > 3 else ''})"
        ]
    return modifiers


def _set_aside_primitive_extensions(q: dict[str, Any]) -> list[tuple[str, Any]]:
    """Remove ``_value[x]`` from extensions (R4 allows it, the R4B models do not)."""
    found = []
    for path, node in list(_nodes(q)):
        if isinstance(node.get("url"), str):
            for key in [k for k in node if k.startswith("_value")]:
                found.append((f"{path}.{key}", node.pop(key)))
    return found


def r4b_readable(q: dict[str, Any]) -> dict[str, Any]:
    """A copy the R4B models can validate: primitive extensions on extension values, valid R4
    that R4B rejects, set aside (the import checked them with the Extension model)."""
    copied = copy.deepcopy(q)
    _set_aside_primitive_extensions(copied)
    return copied


def _primitive_extension_problems(found: list[tuple[str, Any]]) -> list[str]:
    from fhir.resources.R4B.extension import Extension

    problems = []
    for path, element in found:
        if not isinstance(element, dict) or set(element) - {"id", "extension"}:
            problems.append(f"{path}: a primitive extension holds only id and extension")
            continue
        for n, ext in enumerate(element.get("extension", ()) or ()):
            try:
                Extension.model_validate(ext)
            except ValidationError as exc:
                problems.append(f"{path}.extension[{n}]: {exc.errors()[0]['msg']}")
    return problems


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}: {key}" if path.endswith("'") else f"{path}.{key}"


def _coerced(given: Any, read: Any, path: str = "") -> list[str]:
    """Values whose JSON type the models changed: ``"true"`` for a boolean, ``"5"``..."""
    if isinstance(given, dict) and isinstance(read, dict):
        if isinstance(given.get("linkId"), str):
            path = f"item {given['linkId']!r}"
        return [
            p
            for key in given.keys() & read.keys()
            for p in _coerced(given[key], read[key], _join(path, key))
        ]
    if isinstance(given, list) and isinstance(read, list):
        pairs = enumerate(zip(given, read, strict=False))
        return [p for n, (a, b) in pairs for p in _coerced(a, b, f"{path}[{n}]")]
    kinds = _json_kind(given), _json_kind(read)
    if "other" not in kinds and kinds[0] != kinds[1]:
        return [f"{path}: {given!r} is a JSON {kinds[0]}; FHIR wants a {kinds[1]} here"]
    return []


def _expression_problems(q: dict[str, Any]) -> list[str]:
    """FHIRPath expressions coproduce evaluates must at least parse."""
    from coproduce.instruments.expressions import ExpressionError, compile_expression

    problems = []
    for path, node in _nodes(q):
        if node.get("url") in EXPRESSION_URLS:
            expression = (node.get("valueExpression") or {}).get("expression")
            try:
                compile_expression(expression)
            except ExpressionError as exc:
                problems.append(f"{path}: {exc}")
    return problems


def check_questionnaire(data: Any) -> tuple[dict[str, Any], list[str]]:
    """The Questionnaire to store and the warnings; ImportRefused when it is invalid."""
    if not isinstance(data, dict):
        raise ImportRefused(["the file is not a JSON object"])
    if data.get("resourceType") != "Questionnaire":
        raise ImportRefused([f"resourceType is {data.get('resourceType')!r}, not 'Questionnaire'"])
    not_r4 = _not_r4_problems(data)
    if not_r4:
        raise ImportRefused(not_r4)
    q = copy.deepcopy(data)
    warnings: list[str] = []
    text = q.get("text")
    if isinstance(text, dict) and not text.get("div"):
        del q["text"]
        warnings.append(
            "The narrative (text) has no div, which FHIR requires; the narrative was dropped "
            "(coproduce renders from the items)."
        )
    r5_items = _read_r5_coding_as_choice(q.get("item"))
    if r5_items:
        warnings.append(
            f"Items {', '.join(r5_items)} use the R5 type 'coding'; read as the R4 type 'choice'."
        )
    problems = _own_checks(q)
    if problems:
        raise ImportRefused(problems)
    from fhir.resources.R4B.questionnaire import Questionnaire

    for_model = copy.deepcopy(q)
    problems = _primitive_extension_problems(_set_aside_primitive_extensions(for_model))
    try:
        model = Questionnaire.model_validate(for_model)
    except ValidationError as exc:
        names = []
        for error in exc.errors():
            if _is_expression_name(error):
                names.append(str(error.get("input")))
                continue
            loc = ".".join(str(p) for p in error["loc"])
            problems.append(
                f"{_item_at(q, error['loc'])}{loc}: {error['msg']} (got {error.get('input')!r})"
            )
        if problems:
            raise ImportRefused(problems) from None
        warnings.append(
            f"Expression names {', '.join(sorted(set(names)))} break the R4 'id' pattern "
            "(R5 allows them); accepted: FHIRPath names them the same either way."
        )
        for _, node in _nodes(for_model):  # read the rest with names the models accept
            expression = node.get("valueExpression")
            if isinstance(expression, dict) and expression.get("name"):
                expression["name"] = re.sub(r"[^A-Za-z0-9.-]", "-", str(expression["name"]))
        model = Questionnaire.model_validate(for_model)
    if model is not None:
        read = model.model_dump(mode="json", by_alias=True, exclude_none=True)
        problems += _coerced(for_model, read)
    problems += _expression_problems(q)
    if problems:
        raise ImportRefused(problems)
    return q, warnings


def check_scoring(scoring: Any) -> dict[str, Any]:
    """A scoring sidecar: {"method": "sum"|"mean", "raw_to_t": {raw: T}, "bands": [...]}."""
    if scoring in (None, {}):
        return {}
    problems = []
    if not isinstance(scoring, dict):
        raise ImportRefused(["the scoring file is not a JSON object"])
    unknown = set(scoring) - {"method", "raw_to_t", "bands", "source", "total_item"}
    if unknown:
        problems.append(f"scoring: unknown keys {', '.join(sorted(unknown))}")
    if scoring.get("method", "sum") not in ("sum", "mean"):
        problems.append(f"scoring: method {scoring.get('method')!r} is not 'sum' or 'mean'")
    table = scoring.get("raw_to_t", {})
    if not isinstance(table, dict):
        problems.append("scoring: raw_to_t must map raw scores to T-scores")
    else:
        for raw, t in table.items():
            if not re.fullmatch(r"-?\d+", str(raw)) or not _is_number(t):
                problems.append(f"scoring: raw_to_t entry {raw!r}: {t!r} is not integer -> number")
    for n, band in enumerate(scoring.get("bands", ()) or ()):
        if not isinstance(band, dict) or not band.get("code") or not _is_number(band.get("max")):
            problems.append(f"scoring: band {n + 1} needs a code and a numeric max")
    if problems:
        raise ImportRefused(problems)
    return {**scoring, "raw_to_t": {str(k): v for k, v in table.items()}} if table else scoring


def instrument_identity(
    q: dict[str, Any], instrument_id: str | None, version: str | None
) -> tuple[str, str]:
    """The (id, version) to store under: given, else from the file, else from its title."""
    raw_id = instrument_id or q.get("id") or q.get("name") or q.get("title") or ""
    slug = re.sub(r"[^a-z0-9._]+", "-", str(raw_id).lower()).strip("-")[:64]
    chosen_version = str(version or q.get("version") or "1")
    problems = []
    if not ID_PATTERN.match(slug):
        problems.append(f"cannot derive an instrument id from {raw_id!r}; pass --id")
    if not VERSION_PATTERN.match(chosen_version):
        problems.append(f"version {chosen_version!r} is not a plain version like 1.0")
    if problems:
        raise ImportRefused(problems)
    return slug, chosen_version


__all__ = ["ANSWER_TYPES", "ImportRefused", "check_questionnaire", "check_scoring"]
