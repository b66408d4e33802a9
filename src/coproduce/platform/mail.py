"""Sending e-mail on Django 5.2 and 6.1, and what a mail server's answer means for a message.

Django 6.1 replaced the `EMAIL_*` settings and `get_connection()` with the `MAILERS` setting
and `mail.mailers` (the old ones are deprecated and go in Django 7.0); Django 5.2 LTS has only
the old ones. `mail_settings` writes the settings for the running Django and `new_mailer`
gives a connection from them, so nothing else in coproduce (or its tests) names either API.
This module must not read Django's settings at import: settings.py imports it.
"""

from __future__ import annotations

import importlib
import smtplib
from typing import Any

import django

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Django's own backends that take no server options (anything else is given them).
_NO_SERVER = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
HAS_MAILERS = django.VERSION >= (6, 1)
# Option name under MAILERS -> the Django 5.2 setting.
_OLD_NAMES = {
    "host": "EMAIL_HOST",
    "port": "EMAIL_PORT",
    "username": "EMAIL_HOST_USER",
    "password": "EMAIL_HOST_PASSWORD",
    "use_tls": "EMAIL_USE_TLS",
    "use_ssl": "EMAIL_USE_SSL",
    "timeout": "EMAIL_TIMEOUT",
}


def mail_settings(
    backend: str,
    *,
    host: str = "localhost",
    port: int = 25,
    username: str = "",
    password: str = "",
    use_tls: bool = False,
    use_ssl: bool = False,
    timeout: int | None = None,
) -> dict[str, Any]:
    """The Django settings (name -> value) that send e-mail through `backend` at `host:port`."""
    server: dict[str, Any] = {
        "host": host,
        "port": port,
        "username": username,
        "password": password,
        "use_tls": use_tls,
        "use_ssl": use_ssl,
        "timeout": timeout,
    }
    if HAS_MAILERS:
        options = {} if backend in _NO_SERVER else server
        return {"MAILERS": {"default": {"BACKEND": backend, "OPTIONS": options}}}
    return {"EMAIL_BACKEND": backend} | {_OLD_NAMES[name]: v for name, v in server.items()}


def new_mailer() -> Any:
    """A new, not yet opened connection to the default mail backend; errors are raised."""
    mail = importlib.import_module("django.core.mail")
    if HAS_MAILERS:
        return mail.mailers.default
    return mail.get_connection(fail_silently=False)


def refused_for_good(exc: BaseException) -> bool:
    """True when the mail server refused this very message permanently (a 5xx reply)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        # SMTPDataError and the like; a refused sender (SMTPSenderRefused) is our own
        # configuration, not this message, and is retried like a passing failure.
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused)
    return False
