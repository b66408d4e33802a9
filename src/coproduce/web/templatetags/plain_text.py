"""Render plain text written with "- " bullet lines as paragraphs and a real list."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def bulleted(text: str) -> SafeString:
    """Turn lines that start with "- " into a <ul>; other lines become paragraphs."""
    parts: list[SafeString] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            parts.append(
                format_html(
                    "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items))
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
            parts.append(format_html("<p>{}</p>", line))
    flush()
    return mark_safe("".join(parts))  # noqa: S308  (every part was escaped by format_html)
