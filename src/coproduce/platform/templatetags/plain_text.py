"""Render plain text written with "- " bullet lines as paragraphs and a real list."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from coproduce.platform import crisis

register = template.Library()

# Numbers written with a "+" country code, and every crisis line of `platform.crisis` (the
# one list of them), longest first.
PHONE = re.compile(
    r"(?<![\w+/.-])(\+\d[\d ]{6,16}\d|" + "|".join(crisis.ALL_NUMBERS) + r")(?![\w/-])"
)


def with_tel_links(text: str) -> SafeString:
    """Escape ``text`` and make its phone numbers tap-to-call links."""
    parts: list[str] = []
    last = 0
    for match in PHONE.finditer(text):
        number = match.group(1)
        parts.append(escape(text[last : match.start()]))
        parts.append(
            format_html('<a class="tel" href="tel:{}">{}</a>', number.replace(" ", ""), number)
        )
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308  (every part was escaped)


@register.filter
def bulleted(text: str) -> SafeString:
    """Turn lines that start with "- " into a <ul>; other lines become paragraphs."""
    parts: list[SafeString] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            parts.append(
                format_html(
                    "<ul>{}</ul>",
                    format_html_join("", "<li>{}</li>", ((with_tel_links(i),) for i in items)),
                )
            )
            items.clear()

    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            items.append(line[2:])
            continue
        flush()
        if line:
            parts.append(format_html("<p>{}</p>", with_tel_links(line)))
    flush()
    return mark_safe("".join(parts))  # noqa: S308  (every part was escaped by format_html)
