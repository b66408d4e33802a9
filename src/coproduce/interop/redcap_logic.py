"""REDCap branching logic and calculations, translated to FHIR enableWhen and FHIRPath.

REDCap's syntax (https://redcap.vumc.org, "Branching logic" and "Calculated fields" help):
``[field] = '1' and [age] >= 18``, ``[check(2)] = '1'`` for a checkbox option,
``round(([weight]*10000)/(([height])^(2)),1)``. What is translated: field references,
numbers and quoted strings, ``= <> != < <= > >=``, ``and or not``, ``+ - * / ^`` and
parentheses, and the functions ``round sum mean abs sqrt if``. Anything else (smart
variables, events, ``datediff``...) raises ``Untranslatable`` naming it: the importer
refuses the whole file rather than ask a question at the wrong time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<field>\[[a-z][a-z0-9_]*(?:\([A-Za-z0-9_.-]+\))?\])"
    r"|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<op><>|!=|>=|<=|=|<|>|\+|-|\*|/|\^|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))",
    re.DOTALL,
)
COMPARISONS = {"=": "=", "<>": "!=", "!=": "!=", ">": ">", "<": "<", ">=": ">=", "<=": "<="}
FUNCTIONS = {"round", "sum", "mean", "abs", "sqrt", "if"}


class Untranslatable(ValueError):
    """REDCap logic that coproduce cannot translate faithfully."""


@dataclass(frozen=True)
class Field:
    name: str
    option: str | None = None  # a checkbox option: [name(code)]


@dataclass(frozen=True)
class Node:
    kind: str  # "field", "number", "string", "op", "not", "neg", "call"
    value: Any = None
    args: tuple[Any, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    found, at = [], 0
    text = text.strip()
    while at < len(text):
        match = TOKEN.match(text, at)
        if not match or match.end() == at:
            raise Untranslatable(f"cannot read {text[at : at + 20]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        at = match.end()
        while at < len(text) and text[at].isspace():
            at += 1
    return found


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1].lower() != value):
            raise Untranslatable(f"expected {value or 'more'} at the end")
        self.at += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def is_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] in ops

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise Untranslatable(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.is_word("or"):
            self.take()
            node = Node("op", "or", (node, self.conjunction()))
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.is_word("and"):
            self.take()
            node = Node("op", "and", (node, self.negation()))
        return node

    def negation(self) -> Node:
        if self.is_word("not"):
            self.take()
            return Node("not", None, (self.negation(),))
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        if self.is_op(*COMPARISONS):
            op = self.take()[1]
            node = Node("op", COMPARISONS[op], (node, self.additive()))
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.is_op("+", "-"):
            op = self.take()[1]
            node = Node("op", op, (node, self.multiplicative()))
        return node

    def multiplicative(self) -> Node:
        node = self.power()
        while self.is_op("*", "/"):
            op = self.take()[1]
            node = Node("op", op, (node, self.power()))
        return node

    def power(self) -> Node:
        node = self.unary()
        if self.is_op("^"):
            self.take()
            node = Node("op", "^", (node, self.power()))
        return node

    def unary(self) -> Node:
        if self.is_op("-"):
            self.take()
            return Node("neg", None, (self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "field":
            inner = text[1:-1]
            name, _, option = inner.partition("(")
            return Node("field", Field(name, option.rstrip(")") or None))
        if kind == "number":
            return Node("number", text)
        if kind == "string":
            return Node("string", text[1:-1])
        if kind == "op" and text == "(":
            node = self.disjunction()
            self.take(")")
            return node
        if kind == "word" and text.lower() in FUNCTIONS and self.is_op("("):
            self.take("(")
            args = [self.disjunction()]
            while self.is_op(","):
                self.take()
                args.append(self.disjunction())
            self.take(")")
            return Node("call", text.lower(), tuple(args))
        raise Untranslatable(f"{text!r} is not translated")


def parse(text: str) -> Node:
    return _Parser(text).parse()


def fields_of(node: Node) -> list[Field]:
    if node.kind == "field":
        return [node.value]
    return [f for arg in node.args if isinstance(arg, Node) for f in fields_of(arg)]


# FHIRPath ---------------------------------------------------------------------------------


def _answer(name: str) -> str:
    return f"%resource.descendants().where(linkId='{name}').answer.value"


def _literal(node: Node, field_type: str | None) -> str:
    text = str(node.value)
    numeric = field_type in ("integer", "decimal", "boolean")
    if node.kind == "number" and not numeric and field_type is not None:
        return f"'{text}'"
    if node.kind == "string" and numeric and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return text
    if node.kind == "string":
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return text


def _field_path(field: Field, types: dict[str, str]) -> str:
    kind = types.get(field.name)
    if kind is None:
        raise Untranslatable(f"[{field.name}] is not a field of this dictionary")
    if field.option is not None:
        return f"iif({_answer(field.name)}.code contains '{field.option}', 1, 0)"
    if kind == "choice":
        return f"{_answer(field.name)}.code"
    if kind == "boolean":
        return f"iif({_answer(field.name)}, 1, 0)"
    return _answer(field.name)


def to_fhirpath(node: Node, types: dict[str, str]) -> str:
    """The FHIRPath of a REDCap expression over a QuestionnaireResponse (%resource)."""
    if node.kind == "field":
        return _field_path(node.value, types)
    if node.kind in ("number", "string"):
        return _literal(node, None)
    if node.kind == "not":
        return f"({to_fhirpath(node.args[0], types)}).not()"
    if node.kind == "neg":
        return f"(-{to_fhirpath(node.args[0], types)})"
    if node.kind == "call":
        args = [to_fhirpath(a, types) for a in node.args]
        if node.value == "round":
            digits = args[1] if len(args) > 1 else "0"
            return f"({args[0]}).round({digits})"
        if node.value in ("abs", "sqrt") and len(args) == 1:
            return f"({args[0]}).{node.value}()"
        if node.value == "if" and len(args) == 3:
            return f"iif({args[0]}, {args[1]}, {args[2]})"
        if node.value in ("sum", "mean"):  # REDCap skips blank values in both
            total = " + ".join(f"iif(({a}).exists(), {a}, 0)" for a in args)
            if node.value == "sum":
                return f"({total})"
            count = " + ".join(f"iif(({a}).exists(), 1, 0)" for a in args)
            return f"(({total}) / ({count}))"
        raise Untranslatable(f"{node.value}() with {len(args)} arguments is not translated")
    left, right = node.args
    op = node.value
    if op in ("=", "!=") and right.kind == "string" and right.value == "" and left.kind == "field":
        path = _answer(left.value.name)
        return f"{path}.exists()" if op == "!=" else f"{path}.empty()"
    if op in ("and", "or"):
        return f"({to_fhirpath(left, types)}) {op} ({to_fhirpath(right, types)})"
    if op == "^":
        return f"({to_fhirpath(left, types)}).power({to_fhirpath(right, types)})"
    field_type = None
    if left.kind == "field":
        field_type = "integer" if left.value.option else types.get(left.value.name)
    lhs = to_fhirpath(left, types)
    rhs = (
        _literal(right, field_type)
        if right.kind in ("number", "string")
        else to_fhirpath(right, types)
    )
    return f"({lhs} {op} {rhs})"


# enableWhen -------------------------------------------------------------------------------


def _simple_conditions(node: Node) -> tuple[str, list[Node]] | None:
    """(behaviour, comparisons) when the logic is one comparison or a flat and/or of them."""
    if node.kind == "op" and node.value in ("and", "or"):
        parts: list[Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.kind == "op" and current.value == node.value:
                stack.extend(reversed(current.args))
            elif current.kind == "op" and current.value in COMPARISONS.values():
                parts.append(current)
            else:
                return None
        return ("all" if node.value == "and" else "any"), parts
    if node.kind == "op" and node.value in COMPARISONS.values():
        return "all", [node]
    return None


def _enable_when(node: Node, types: dict[str, str]) -> dict[str, Any] | None:
    left, right = node.args
    if left.kind != "field" or right.kind not in ("number", "string"):
        return None
    field: Field = left.value
    kind = types.get(field.name)
    if kind is None:
        raise Untranslatable(f"[{field.name}] is not a field of this dictionary")
    op, text = node.value, str(right.value)
    if text == "" and op in ("=", "!="):
        return {"question": field.name, "operator": "exists", "answerBoolean": op == "!="}
    if field.option is not None:  # a checkbox option: checked (1) or not (0)
        if op not in ("=", "!=") or text not in ("0", "1"):
            return None
        checked = (text == "1") == (op == "=")
        coding = {"code": field.option}
        return {
            "question": field.name,
            "operator": "=" if checked else "!=",
            "answerCoding": coding,
        }
    if kind == "choice":
        if op not in ("=", "!="):
            return None
        return {"question": field.name, "operator": op, "answerCoding": {"code": text}}
    if kind == "boolean":
        if op not in ("=", "!=") or text not in ("0", "1"):
            return None
        return {"question": field.name, "operator": op, "answerBoolean": text == "1"}
    try:
        if kind == "integer":
            return {"question": field.name, "operator": op, "answerInteger": int(text)}
        if kind == "decimal":
            return {"question": field.name, "operator": op, "answerDecimal": float(text)}
    except ValueError:
        return None
    key = {"date": "answerDate", "dateTime": "answerDateTime", "time": "answerTime"}.get(
        kind, "answerString"
    )
    return {"question": field.name, "operator": op, key: text}


def branching(text: str, types: dict[str, str]) -> dict[str, Any]:
    """Item keys for REDCap branching logic: enableWhen when it fits, else an expression."""
    node = parse(text)
    simple = _simple_conditions(node)
    if simple is not None:
        behaviour, parts = simple
        conditions = [_enable_when(p, types) for p in parts]
        if all(c is not None for c in conditions):
            keys: dict[str, Any] = {"enableWhen": conditions}
            if len(conditions) > 1:
                keys["enableBehavior"] = behaviour
            return keys
    return {"enableWhenExpression": to_fhirpath(node, types)}
