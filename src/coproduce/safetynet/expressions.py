"""A small, safe expression language for rule conditions (parsed here; never eval'd).

    score("peg") - baseline("peg") >= 2 or item("phq9", "phq9-9") > 0 and not free_text

Values are numbers, strings, booleans or None ("not known"). Arithmetic or comparison with
None gives None, and None counts as false, so a rule stays quiet when its data is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Fact functions a condition may call, with how many arguments each takes.
FUNCTIONS: dict[str, int] = {
    "score": 1,  # this check-in's score for an instrument
    "previous": 1,  # the score in the patient's previous check-in with that instrument
    "baseline": 1,  # the first score after enrolment
    "since_last_visit": 1,  # change since the last attended appointment
    "rising_weeks": 1,  # how many check-ins in a row the score has risen
    "item": 2,  # one item's value in this check-in
    "flag": 1,  # whether any score of this check-in carries the flag
    "band": 1,  # this check-in's band for an instrument (a string)
    "answered": 1,  # whether this check-in includes the instrument
}
NAMES = frozenset({"free_text", "true", "false"})
COMPARISONS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else None,
}
TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>>=|<=|==|!=|[><+\-*/(),]))"
)


class ConditionError(ValueError):
    """A condition that does not parse or calls an unknown fact."""


@dataclass(frozen=True)
class Node:
    kind: str  # num, str, name, call, neg, not, and, or, cmp, arith
    value: Any = None
    args: tuple[Node, ...] = ()


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"cannot read {text[pos:].strip()[:20]!r} at position {pos}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ConditionError(f"expected {value or 'more'} but found {tok[1] if tok else 'end'}")
        self.i += 1
        return tok

    def at(self, *values: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[1] in values

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.at("or"):
            self.take()
            node = Node("or", args=(node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.at("and"):
            self.take()
            node = Node("and", args=(node, self.not_()))
        return node

    def not_(self) -> Node:
        if self.at("not"):
            self.take()
            return Node("not", args=(self.not_(),))
        return self.cmp()

    def cmp(self) -> Node:
        node = self.sum()
        if self.at(*COMPARISONS):
            op = self.take()[1]
            node = Node("cmp", op, (node, self.sum()))
        return node

    def sum(self) -> Node:
        node = self.term()
        while self.at("+", "-"):
            op = self.take()[1]
            node = Node("arith", op, (node, self.term()))
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.take()[1]
            node = Node("arith", op, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return Node("neg", args=(self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Node("num", float(text))
        if kind == "str":
            return Node("str", text[1:-1])
        if text == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind != "name" or text in ("and", "or", "not"):
            raise ConditionError(f"unexpected {text!r}")
        if self.at("("):
            if text not in FUNCTIONS:
                raise ConditionError(f"unknown fact {text}(); known: {', '.join(FUNCTIONS)}")
            self.take("(")
            args: list[Node] = []
            while not self.at(")"):
                arg_kind, arg = self.take()
                if arg_kind != "str":
                    raise ConditionError(f"{text}() takes quoted names, not {arg!r}")
                args.append(Node("str", arg[1:-1]))
                if not self.at(")"):
                    self.take(",")
            self.take(")")
            if len(args) != FUNCTIONS[text]:
                raise ConditionError(f"{text}() takes {FUNCTIONS[text]} argument(s)")
            return Node("call", text, tuple(args))
        if text not in NAMES:
            raise ConditionError(f"unknown name {text!r}; known: {', '.join(sorted(NAMES))}")
        return Node("name", text)


@lru_cache(maxsize=512)
def parse(text: str) -> Node:
    """Return the syntax tree of a condition, or raise ConditionError."""
    if not text or not text.strip():
        raise ConditionError("empty condition")
    return _Parser(text).parse()


def calls(node: Node) -> list[tuple[str, tuple[str, ...]]]:
    """Return every fact call in a condition, in order (for showing the data behind an alert)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    if node.kind == "call":
        found.append((node.value, tuple(a.value for a in node.args)))
    for child in node.args:
        if child.kind != "str":
            found.extend(calls(child))
    return found


def evaluate(node: Node, fact: Callable[..., Any], names: dict[str, Any]) -> Any:
    """Evaluate a tree; `fact(name, *args)` answers calls, `names` answers bare names."""
    kind = node.kind
    if kind in ("num", "str"):
        return node.value
    if kind == "name":
        return {"true": True, "false": False}.get(node.value, names.get(node.value))
    if kind == "call":
        return fact(node.value, *(a.value for a in node.args))
    if kind == "and":
        return bool(evaluate(node.args[0], fact, names)) and bool(
            evaluate(node.args[1], fact, names)
        )
    if kind == "or":
        return bool(evaluate(node.args[0], fact, names)) or bool(
            evaluate(node.args[1], fact, names)
        )
    if kind == "not":
        return not evaluate(node.args[0], fact, names)
    values = [evaluate(a, fact, names) for a in node.args]
    if any(v is None for v in values):
        return None
    try:
        if kind == "neg":
            return -values[0]
        if kind == "arith":
            # Rounded so that 4.2 - 3.0 is 1.2, not 1.2000000000000002, at a threshold.
            result = ARITHMETIC[node.value](*values)
            return round(result, 9) if isinstance(result, float) else result
        return COMPARISONS[node.value](*values)
    except TypeError:  # e.g. comparing a band string with a number: not known, not an error
        return None
