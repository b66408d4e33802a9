"""Typed readers of settings from the environment that fail loudly on bad values."""

from __future__ import annotations

import datetime as dt
import os
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable, or `default` when unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Return a boolean; anything but a clear yes/no is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false or yes/no.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return an integer; a non-number or a value under `minimum` is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list with blanks dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """Return one of `choices`; anything else is a configuration error."""
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def env_date(name: str) -> dt.date | dt.datetime | None:
    """Return an ISO date (YYYY-MM-DD) or an instant with its offset
    (YYYY-MM-DDTHH:MM+01:00), or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        if "T" not in raw:
            return dt.date.fromisoformat(raw)
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a date or an instant; use YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM+01:00 (with its UTC offset)."
        ) from None
    return moment


def env_secret(name: str, *, insecure_fallback: str | None) -> str:
    """Return a secret; only demo and test modes may fall back to a fixed, public value."""
    value = os.environ.get(name)
    if value:
        if len(value) < 32:
            raise ImproperlyConfigured(f"{name} must be at least 32 characters long.")
        return value
    if insecure_fallback is None:
        raise ImproperlyConfigured(
            f"{name} is not set. Generate one with: python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return insecure_fallback
