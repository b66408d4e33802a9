"""FHIRPath in imported Questionnaires: ``variable`` and SDC ``calculatedExpression``.

Evaluated with fhirpathpy (the Python port of the HL7 reference fhirpath.js) over a
QuestionnaireResponse built from the answers so far, with ``%resource`` the response and
``%questionnaire`` the Questionnaire, as the SDC guide defines
(https://hl7.org/fhir/uv/sdc/expressions.html). fhirpathpy lacks the SDC functions
``weight()`` / ``ordinal()`` and lforms' ``answers()``, so they are supplied here from the
definition's own option weights.

Syntax is checked once, at import (``compile_expression``); at answer time an expression
that fails (an unknown variable, a type clash) yields no value, never an exception, so a
patient's check-in is never lost to a form author's mistake.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coproduce.instruments.definitions import Definition, Item

log = logging.getLogger(__name__)
MAX_PASSES = 3
VALUE_KEYS = {
    "boolean": "valueBoolean",
    "decimal": "valueDecimal",
    "integer": "valueInteger",
    "date": "valueDate",
    "dateTime": "valueDateTime",
    "time": "valueTime",
    "string": "valueString",
    "text": "valueString",
    "url": "valueUri",
    "quantity": "valueQuantity",
}


class ExpressionError(ValueError):
    """A FHIRPath expression that does not parse."""


@lru_cache(maxsize=512)
def compile_expression(expression: Any) -> dict[str, Any]:
    """The parsed expression; ExpressionError when it is not valid FHIRPath."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError("the expression is empty")
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4.tree.Tree import ParseTreeWalker
    from fhirpathpy.parser.ASTPathListener import ASTPathListener
    from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
    from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

    errors: list[str] = []

    class Collect(ErrorListener):
        def syntaxError(self, recognizer, offending, line, column, msg, e):
            errors.append(f"column {column + 1}: {msg}")

    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(Collect())
    tokens = CommonTokenStream(lexer)
    parser = FHIRPathParser(tokens)
    parser.removeErrorListeners()
    parser.addErrorListener(Collect())
    tree = parser.expression()
    if not errors and tokens.LA(1) != -1:  # text left over after a whole expression
        errors.append(f"column {tokens.LT(1).column + 1}: unexpected {tokens.LT(1).text!r}")
    if errors:
        raise ExpressionError(f"FHIRPath {expression!r} does not parse ({errors[0]})")
    listener = ASTPathListener()
    ParseTreeWalker().walk(listener, tree)
    return listener.parentStack[0]


def answer_element(item: Item, value: Any) -> dict[str, Any]:
    """One QuestionnaireResponse ``answer`` for a stored answer value."""
    if item.type in ("choice", "open-choice") or item.options:
        option = item.by_code.get(str(value))
        if option is None:
            return {"valueString": str(value)}
        if option.value_key != "valueCoding":
            return {option.value_key: option.value}
        coding = {"system": option.system, "code": option.code, "display": option.display}
        return {"valueCoding": {k: v for k, v in coding.items() if v not in (None, "")}}
    return {VALUE_KEYS.get(item.type, "valueString"): value}


def response_json(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A QuestionnaireResponse of ``answers`` in the Questionnaire's own nesting."""

    def build(raw_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for raw in raw_items:
            link_id = str(raw.get("linkId"))
            node: dict[str, Any] = {"linkId": link_id}
            if raw.get("text"):
                node["text"] = raw["text"]
            children = build(raw.get("item") or [])
            item = definition.item_map.get(link_id)
            given = answers.get(link_id)
            if item is not None and item.answerable and given not in (None, "", []):
                values = given if isinstance(given, list) else [given]
                node["answer"] = [answer_element(item, v) for v in values]
                if children:
                    node["answer"][0]["item"] = children
            elif children:
                node["item"] = children
            out.append(node)
        return out

    return {
        "resourceType": "QuestionnaireResponse",
        "status": "in-progress",
        "item": build(definition.questionnaire.get("item") or []),
    }


def _weights(definition: Definition):
    by_code: dict[tuple[str | None, str], Any] = {}
    for item in definition.item_map.values():
        for option in item.options:
            if option.weight is not None:
                by_code.setdefault((option.system, option.code), option.weight)
                by_code.setdefault((None, option.code), option.weight)

    def weight(inputs: list[Any]) -> list[Any]:
        found = []
        for node in inputs:
            if isinstance(node, dict) and "valueCoding" in node:
                node = node["valueCoding"]
            if isinstance(node, dict) and "code" in node:
                key = (node.get("system"), str(node["code"]))
                value = by_code.get(key, by_code.get((None, str(node["code"]))))
                if value is not None:
                    found.append(value)
        return found

    return weight


def _answers(inputs: list[Any]) -> list[Any]:
    """lforms' ``answers()``: every answer below the inputs, typed so ``.value`` resolves."""
    from fhirpathpy.engine.nodes import ResourceNode

    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for answer in node.get("answer", ()) or ():
                found.append(ResourceNode(answer, "QuestionnaireResponse.item.answer"))
                walk(answer)
            for child in node.get("item", ()) or ():
                walk(child)

    for node in inputs:
        walk(node)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(value, dict) and "code" in value:
        return str(value["code"])
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _run(expression: str, focus: Any, context: dict[str, Any], options: dict) -> list[Any]:
    import fhirpathpy
    from fhirpathpy.models import models

    try:
        parsed = compile_expression(expression)
        return list(fhirpathpy.apply_parsed_path(focus, parsed, context, models["r4"], options))
    except Exception as exc:  # a form author's mistake must not lose a check-in
        log.info("FHIRPath %r gave no value: %s", expression, exc)
        return []


def _evaluate(expression: str, focus: Any, context: dict[str, Any], options: dict) -> Any:
    values = [_plain(v) for v in _run(expression, focus, context, options) if v is not None]
    return values[0] if len(values) == 1 else (values or None)


def _fitted(item: Item, value: Any) -> Any:
    """A computed value as the item's answer type stores it, or None if it does not fit."""
    if value is None or isinstance(value, list):
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if item.type == "integer":
        return int(value) if number and float(value).is_integer() else None
    if item.type == "decimal":
        return round(float(value), 6) if number else None
    if item.type == "quantity":
        if not number:
            return None
        return {k: v for k, v in {"value": value, **(item.unit or {})}.items() if v is not None}
    if item.type == "boolean":
        return value if isinstance(value, bool) else None
    if item.type in ("choice", "open-choice"):
        return str(value) if str(value) in item.by_code or item.type == "open-choice" else None
    return value if isinstance(value, str) else None


def _options(definition: Definition) -> dict[str, Any]:
    return {
        "userInvocationTable": {
            "weight": {"fn": _weights(definition)},
            "ordinal": {"fn": _weights(definition)},
            "answers": {"fn": _answers},
        }
    }


def holds(definition: Definition, expression: str, answers: Mapping[str, Any]) -> bool:
    """Whether an enableWhenExpression is true for these answers (empty or an error: no)."""
    response = response_json(definition, answers)
    context = {"resource": response, "questionnaire": definition.questionnaire}
    result = _run(expression, response, context, _options(definition))
    return result == [True]


def calculated_values(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The value of every read-only item: its calculatedExpression, else its initial value."""
    computed = [i for i in definition.item_map.values() if i.read_only and i.answerable]
    if not computed:
        return {}
    options = _options(definition)
    values = {k: v for k, v in answers.items() if k not in {i.link_id for i in computed}}
    out: dict[str, Any] = {i.link_id: i.initial for i in computed if i.initial is not None}
    for _ in range(MAX_PASSES):  # later items may feed earlier ones
        before = dict(out)
        response = response_json(definition, {**values, **out})
        context: dict[str, Any] = {"resource": response, "questionnaire": definition.questionnaire}
        for name, expression in definition.variables:
            context[name] = _run(expression, response, context, options)
        for item in computed:
            if item.calculated is None:
                continue
            scope = dict(context)
            for name, expression in item.variables:
                scope[name] = _run(expression, response, scope, options)
            value = _fitted(item, _evaluate(item.calculated, response, scope, options))
            if value is None:
                out.pop(item.link_id, None)
            else:
                out[item.link_id] = value
        if out == before:
            break
    return out
