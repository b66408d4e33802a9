"""Every text a person reads in a template is marked for translation (issue 19).

Each template under src/coproduce is cut into tokens by Django's own template Lexer. The
text outside {% translate %}, {% blocktranslate %}, variables and comments is put back
together with the tags left out, read as HTML, and what people read in it -- text nodes
and the attributes that are read out or shown (title, aria-label, placeholder, alt, the
value of a button, ...) -- must hold no word once tags, entities, whitespace, punctuation
and numbers are stripped. Filter arguments people read ({{ x|default:"never" }}) must be
marked with _("..."), and English-only plurals (|pluralize) are refused: a number goes
into {% blocktranslate count %}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, Token, TokenType

SRC = Path(__file__).resolve().parents[2] / "src" / "coproduce"

# What may stand untranslated because it is not a word in any language: keep this short and
# say why for each.
NOT_WORDS = {
    "coproduce",  # the product's name
    "collaboRATE",  # an instrument's name, as its authors write it
    # Clinical scores and indices, named the same in every language.
    "PHQ",
    "PEG",
    "DAS28",
    "HBI",
    "PUCAI",
    "mg",  # a unit (milligram)
    "https",  # a URL's scheme, in a placeholder that shows the form of a web address
    "h2",  # heading tag names chosen by a filter ({{ crisis|yesno:"h3,h2" }}), not text
    "h3",
}

# Attributes whose value a person reads or hears.
READ_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-placeholder",
    "aria-roledescription",
    "aria-valuetext",
    "label",
}
BUTTON_TYPES = {"submit", "button", "reset"}
SKIPPED_ELEMENTS = {"script", "style"}
# Template blocks that fill an attribute no one reads (<body class="{% block body_class %}">).
SKIPPED_BLOCKS = {"body_class"}
# Filters whose string argument is shown to people.
SHOWN_ARGUMENT_FILTERS = ("default", "default_if_none", "yesno")

# Letters and digits of any script with at least one letter ("DAS28", not "28").
WORD = re.compile(r"[^\W_]*[^\W\d_][^\W_]*")
SHOWN_ARGUMENT = re.compile(
    r"\|\s*(?:" + "|".join(SHOWN_ARGUMENT_FILTERS) + r")\s*:\s*(\"[^\"]*\"|'[^']*')"
)
PLURALIZE = re.compile(r"\|\s*pluralize\b")
# A text handed to an included template or a {% with %} ({% include "x" with who="Nurse" %}).
SHOWN_KEYWORD = re.compile(r"\b(\w+)=(\"[^\"]*\"|'[^']*')")
# Keywords that hand an include a form field's name, a heading level or an element's id
# (the error summary's error_anchor and error_lead_id), never text.
CODE_KEYWORDS = {"name", "heading", "error_anchor", "error_lead_id"}


@dataclass(frozen=True)
class Offence:
    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(SRC.parent.parent)}:{self.line}: {self.text}"


def templates() -> list[Path]:
    return sorted(
        p
        for p in SRC.rglob("*")
        if p.is_file() and "templates" in p.parts and p.suffix in {".html", ".txt"}
    )


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w not in NOT_WORDS]


def _blank(text: str) -> str:
    """The text's newlines alone, so that lines still count right."""
    return "\n" * text.count("\n")


def skeleton(tokens: list[Token]) -> tuple[str, list[tuple[int, str]]]:
    """The template with only its untranslated text left, and the offending tag texts."""
    parts: list[str] = []
    tags: list[tuple[int, str]] = []
    inside: str | None = None  # the end tag awaited: a translated block or a comment
    for token in tokens:
        if token.token_type == TokenType.TEXT:
            parts.append(_blank(token.contents) if inside else token.contents)
            continue
        if token.token_type == TokenType.VAR:
            # A variable's value stands in for it: a space, never a word.
            parts.append(" ")
            tags.extend((token.lineno, bad) for bad in _shown_arguments(token.contents))
            continue
        parts.append("")
        if token.token_type != TokenType.BLOCK:
            continue
        name, *bits = token.contents.split()
        if inside:
            if name == inside:
                inside = None
            continue
        if name in {"blocktranslate", "blocktrans"}:
            inside = "end" + name
        elif name == "comment":
            inside = "endcomment"
        elif name == "block" and bits[0] in SKIPPED_BLOCKS:
            inside = "endblock"
        tags.extend((token.lineno, bad) for bad in _shown_arguments(token.contents))
        if name in {"include", "with"}:
            tags.extend(
                (token.lineno, m.group(0))
                for m in SHOWN_KEYWORD.finditer(token.contents)
                if m.group(1) not in CODE_KEYWORDS and words(m.group(2))
            )
    return "".join(parts), tags


def _shown_arguments(contents: str) -> list[str]:
    bad = [
        m.group(0)
        for m in SHOWN_ARGUMENT.finditer(contents)
        if words(m.group(1)) and not contents[: m.start(1)].endswith("_(")
    ]
    bad += [f"{{{{ {contents} }}}} (an English plural: use blocktranslate count)"] * bool(
        PLURALIZE.search(contents)
    )
    return bad


class _Reader(HTMLParser):
    """The lines of text and the read attribute values of an HTML skeleton, with lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = dict(attrs)
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in BUTTON_TYPES
            )
            if read and value and words(value):
                self.found.append((line, f'{name}="{" ".join(value.split())}"'))
        if tag in SKIPPED_ELEMENTS:
            self.skipping.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED_ELEMENTS:
            self.skipping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        first = self.getpos()[0]
        for offset, line in enumerate(data.split("\n")):
            if words(line):
                self.found.append((first + offset, " ".join(line.split())))


def offences(path: Path) -> list[Offence]:
    source = path.read_text(encoding="utf-8")
    html, tags = skeleton(Lexer(source).tokenize())
    if path.suffix == ".txt":
        found = [
            (n, " ".join(line.split())) for n, line in enumerate(html.split("\n"), 1) if words(line)
        ]
    else:
        reader = _Reader()
        reader.feed(html)
        reader.close()
        found = reader.found
    return [Offence(path, line, text) for line, text in sorted(found + tags)]


def test_the_check_finds_plain_text_attributes_and_shown_arguments(tmp_path):
    template = tmp_path / "t.html"
    template.write_text(
        "{% load i18n %}<h1>{% translate 'Open alerts' %}</h1>\n"
        "<p>No open alerts.</p>\n"
        '<a title="{% translate "Back" %}" aria-label="{{ x }} numbers">{{ x }}</a>\n'
        "{% blocktranslate count n=k %}{{ n }} goal{% plural %}{{ n }} goals"
        "{% endblocktranslate %}\n"
        "<td>{{ a|default:'never' }}</td><td>{{ a|default:_('never') }}</td>\n"
        "{{ n }} alert{{ n|pluralize }}\n"
        '<input type="submit" value="Save"><input type="hidden" value="abc">\n'
        "{# a comment #}{% comment %}words{% endcomment %}<script>let a = 1;</script>\n"
        "<p>&nbsp;–&nbsp;{{ n }} · 3 coproduce</p>\n"
        '{% include "t.html" with who="Nurse" other=_("Nurse") %}\n'
        "{% block body_class %}patient{% endblock %}\n",
        encoding="utf-8",
    )
    assert [(o.line, o.text) for o in offences(template)] == [
        (2, "No open alerts."),
        (3, 'aria-label="numbers"'),
        (5, "|default:'never'"),
        (6, "alert"),
        (6, "{{ n|pluralize }} (an English plural: use blocktranslate count)"),
        (7, 'value="Save"'),
        (10, 'who="Nurse"'),
    ]


def test_every_text_a_person_reads_in_a_template_is_translatable():
    found = [str(o) for path in templates() for o in offences(path)]
    assert not found, (
        f"{len(found)} texts in templates are not marked for translation "
        "(use {% translate %} or {% blocktranslate %}):\n" + "\n".join(found)
    )
