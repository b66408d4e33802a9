"""Checks of a FHIR R4 Questionnaire before a site imports it.

Two layers: coproduce's own checks (what the FHIR models do not enforce: required code
bindings, unique linkIds, numeric weights, integer ``answerInteger`` values, resolvable
references) and the ``fhir.resources`` R4B models (R4 content validates against R4B).

Two R4B rejections are tolerated, each with a warning stored on the imported version:

- ``Expression.name`` values such as ``q1_value``: R4 types the name as ``id`` (no
  underscore) while FHIRPath variable names cannot contain ``-``; SDC Questionnaires
  in the wild use underscores and R5 relaxed the type. coproduce never evaluates these
  expressions (it scores from weights), so the name's spelling cannot matter.
- A ``text`` narrative without ``div``: the narrative is dropped on import (coproduce
  renders from the items), so what is stored validates.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from coproduce.instruments.definitions import ANSWER_TYPES, ITEM_TYPES, WEIGHT_URLS

STATUSES = {"draft", "active", "retired", "unknown"}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{0,63}$")
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_ERRORS = 12


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
    if q.get("status") not in STATUSES:
        problems.append(
            f"status {q.get('status')!r} is not one of {', '.join(sorted(STATUSES))} "
            "(a required binding)"
        )
    contained = {
        "#" + str(r.get("id")): r
        for r in q.get("contained", ()) or ()
        if isinstance(r, dict) and r.get("resourceType") == "ValueSet"
    }
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
            if kind in ("choice", "open-choice"):
                ref = item.get("answerValueSet")
                if not item.get("answerOption") and not ref:
                    problems.append(f"{where}: a {kind} item needs answerOption or answerValueSet")
                if isinstance(ref, str) and ref.startswith("#") and ref not in contained:
                    problems.append(f"{where}: answerValueSet {ref} is not a contained ValueSet")
            for m, option in enumerate(item.get("answerOption", ()) or ()):
                values = [k for k in option if k.startswith("value")]
                if len(values) != 1:
                    problems.append(f"{where} answerOption {m + 1}: needs exactly one value[x]")
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


def check_questionnaire(data: Any) -> tuple[dict[str, Any], list[str]]:
    """The Questionnaire to store and the warnings; ImportRefused when it is invalid."""
    if not isinstance(data, dict):
        raise ImportRefused(["the file is not a JSON object"])
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

    try:
        Questionnaire.model_validate(q)
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
            "(R5 allows them); accepted because coproduce does not evaluate expressions."
        )
    return q, warnings


def check_scoring(scoring: Any) -> dict[str, Any]:
    """A scoring sidecar: {"method": "sum"|"mean", "raw_to_t": {raw: T}, "bands": [...]}."""
    if scoring in (None, {}):
        return {}
    problems = []
    if not isinstance(scoring, dict):
        raise ImportRefused(["the scoring file is not a JSON object"])
    unknown = set(scoring) - {"method", "raw_to_t", "bands", "source"}
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
    slug = re.sub(r"[^a-z0-9.]+", "-", str(raw_id).lower()).strip("-")[:64]
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
