"""What a mail server's answer means for a message (shared by the outbox and the safety net)."""

from __future__ import annotations

import smtplib


def refused_for_good(exc: BaseException) -> bool:
    """True when the mail server refused this very message permanently (a 5xx reply)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        # SMTPDataError and the like; a refused sender (SMTPSenderRefused) is our own
        # configuration, not this message, and is retried like a passing failure.
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused)
    return False
