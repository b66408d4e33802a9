"""The one registry of audit event kinds, each with what it means (unknown kinds are refused).

Every app declares its kinds in its own `events.py` as `EVENTS = {kind: meaning}` and
registers them from its `AppConfig.ready()` with `register_kinds(EVENTS)`: never at import
time, so the registry is complete once Django is set up, whichever module was imported first.
Readers (the audit writer, the audit search form) ask `kinds()` when they need the list.
"""

from __future__ import annotations

from collections.abc import Mapping

EVENTS: dict[str, str] = {
    "login.succeeded": "A user logged in.",
    "login.failed": "A login attempt failed.",
    "login.throttled": "A login attempt was refused after too many failures.",
    "logout": "A user logged out.",
    "session.expired": "A staff session ended after inactivity.",
    "patient.viewed": "A patient's record page was opened.",
    "patient.listed": "A list of patients was shown (detail lists the registry IDs).",
    "patient.created": "A patient was registered.",
    "patient.updated": "A patient's details changed.",
    "proxy.granted": "Someone was given access to act for or read a patient's data.",
    "proxy.revoked": "Access to a patient's data was withdrawn.",
    "audit.searched": "The audit log was searched.",
    "admin.viewed": "A registry admin opened an object in the admin.",
    "site.created": "A site was set up (with its urgent contact).",
    "site.test_alert_sent": "A test alert was sent to a site's urgent contact.",
}

_REGISTRY: dict[str, str] = {}


def register_kinds(events: Mapping[str, str]) -> None:
    """Add an app's event kinds (call from its `AppConfig.ready()`); a kind is declared once."""
    for kind, meaning in events.items():
        if _REGISTRY.get(kind, meaning) != meaning:
            raise ValueError(f"Audit event {kind!r} is declared twice with different meanings.")
        _REGISTRY[kind] = meaning


def kinds() -> dict[str, str]:
    """Return every registered kind with its meaning (a copy, sorted by kind)."""
    return dict(sorted(_REGISTRY.items()))


def is_registered(kind: str) -> bool:
    return kind in _REGISTRY
