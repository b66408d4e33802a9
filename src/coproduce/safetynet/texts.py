"""Stored safety-net texts as message keys with parameters, shown in the reader's language.

A rule's text (from its TOML file) is its own message id; what a check-in fills into it
({score.peg}, {ack_by}) is kept beside it as parameters. So a Spanish patient reads her
message in Spanish while the English-speaking nurse reads the same message, and the alert
reason, in English. The English rendering is also stored in the text columns, for exports
and for rows written before keys existed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import dateformat, formats, translation
from django.utils.translation import gettext

from coproduce.platform import clock, crisis
from coproduce.safetynet.rules import PLACEHOLDER, TEXT_PLACEHOLDERS

PARTS = ("acknowledge", "validate", "advise", "clinic_will")
NOT_KNOWN = object()


def number_text(value: Any) -> str:
    """A fact as the reader's locale writes it (2.5 / 2,5); "not known" for no value."""
    if value is None or value is NOT_KNOWN:
        return gettext("not known")
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 1)
    if isinstance(value, int | float):
        return formats.number_format(value, use_l10n=True)
    return str(value)


def ack_by_text(due: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """When the team will act, in the active language: "14:30 today", "Monday 3 March"."""
    local, today = due.astimezone(zone), clock.clinic_today(zone, now)
    if local.date() == today:
        return gettext("%(time)s today") % {"time": f"{local:%H:%M}"}
    if local.date() == today + dt.timedelta(days=1):
        return gettext("%(time)s tomorrow") % {"time": f"{local:%H:%M}"}
    return dateformat.format(local, gettext("l j F"))


def fill(template: str, params: dict[str, Any], at_show: dict[str, str] | None = None) -> str:
    """`template` translated into the active language, its placeholders filled: facts from
    `params`, the placeholders filled when shown (rules.TEXT_PLACEHOLDERS) from `at_show`."""
    shown_now = at_show or {}

    def one(m: Any) -> str:
        name, arg = m.group(1), m.group(2)
        if name in TEXT_PLACEHOLDERS and not arg:
            return shown_now.get(name, "")
        return number_text(params.get(f"{name}.{arg}" if arg else name))

    return PLACEHOLDER.sub(one, gettext(template) if template else template)


def keyed(
    templates: dict[str, str],
    params: dict[str, Any],
    *,
    due: dt.datetime | None,
    now: dt.datetime,
    zone: str,
    country: str = "",
    crisis_team: str = "",
) -> dict[str, Any]:
    """What a PatientMessage keeps to be shown in any language later."""
    return {
        "parts": templates,
        "params": params,
        "due": due.isoformat() if due else None,
        "now": now.isoformat(),
        "zone": zone,
        "country": country,
        "crisis_team": crisis_team,
    }


def shown(texts: dict[str, Any], language: str | None = None) -> dict[str, str]:
    """A keyed message's four parts in `language` (default: the active language)."""
    with translation.override(language or translation.get_language()):
        zone = ZoneInfo(texts.get("zone") or "UTC")
        now = dt.datetime.fromisoformat(texts["now"])
        due = dt.datetime.fromisoformat(texts["due"]) if texts.get("due") else None
        at_show = {
            "ack_by": ack_by_text(due, now, zone) if due else "",
            "emergency": crisis.emergency_number(texts.get("country")),
        }
        parts = {
            part: fill(texts["parts"].get(part, ""), texts.get("params") or {}, at_show)
            for part in PARTS
        }
        if texts.get("crisis_team"):
            parts["advise"] = crisis.crisis_text(
                texts.get("country"), translation.get_language(), team=texts["crisis_team"]
            )
        return parts


def reason_shown(reason: dict[str, Any], fallback: str, language: str | None = None) -> str:
    """An alert's reason in `language` (default: active) from its key and parameters."""
    if not reason or not reason.get("key"):
        return fallback
    with translation.override(language or translation.get_language()):
        return fill(reason["key"], reason.get("params") or {})
