"""Text messages through a pluggable backend (settings.COPRODUCE_SMS_BACKEND).

A backend is a class with `send(to: str, body: str) -> None` that raises on failure; the
outbox retries with backoff. See docs/checkins.md for plugging in a provider.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from coproduce.platform import clock

# In tests, messages collect here (like django.core.mail.outbox).
outbox: list[dict[str, str]] = []


class ConsoleBackend:
    """Print each message (demo)."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n")
        sys.stdout.flush()


class FileBackend:
    """Append each message as a JSON line to VAR_DIR/sms.jsonl (trials without a provider)."""

    def __init__(self, path: Path | None = None):
        self.path = path or Path(settings.VAR_DIR) / "sms.jsonl"

    def send(self, to: str, body: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"to": to, "body": body, "at": clock.now().isoformat()}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


class LocmemBackend:
    """Keep messages in `coproduce.platform.sms.outbox` (tests)."""

    def send(self, to: str, body: str) -> None:
        outbox.append({"to": to, "body": body})


def default_backend() -> str:
    return {
        "test": "coproduce.platform.sms.LocmemBackend",
        "demo": "coproduce.platform.sms.ConsoleBackend",
    }.get(settings.MODE, "coproduce.platform.sms.FileBackend")


@cache
def _backend_class(path: str) -> type:
    return import_string(path)


def send_sms(to: str, body: str) -> None:
    path = getattr(settings, "COPRODUCE_SMS_BACKEND", "") or default_backend()
    _backend_class(path)().send(to, body)


def delivers_to_people() -> bool:
    """Whether a text message reaches a phone here: not when it is only printed or filed
    (the console and file backends), so nobody counts on an SMS that goes nowhere."""
    path = getattr(settings, "COPRODUCE_SMS_BACKEND", "") or default_backend()
    return not issubclass(_backend_class(path), ConsoleBackend | FileBackend)
