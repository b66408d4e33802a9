"""``{% inline_static "app/file.css" %}``: a static file's text, for a page that must not
wait for a second request (the check-in link on a slow phone network)."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@lru_cache(maxsize=8)
def _read(path: str) -> str:
    found = finders.find(path)
    if found:
        with open(found, encoding="utf-8") as handle:
            return handle.read()
    with staticfiles_storage.open(path) as handle:  # collected files only (production)
        return handle.read().decode("utf-8")


@register.simple_tag
def inline_static(path: str) -> SafeString:
    """Our own CSS file's text; "</" cannot occur in it, so it cannot close the tag."""
    text = _read(path) if not settings.DEBUG else _read.__wrapped__(path)
    return mark_safe(text.replace("</", "<\\/"))  # noqa: S308  (our own static file)
