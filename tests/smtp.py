"""A real SMTP server in the test process (aiosmtpd), for tests of what the outbox sends.

Minimal on purpose: it accepts mail on a free loopback port, keeps what it received, and
refuses recipients listed in `refuse` with a permanent 550 (as a server refuses an unknown
mailbox). Django's SMTP backend is pointed at it with the `smtp_server` fixture.
"""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    message: Message


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            Received(list(envelope.rcpt_tos), email.message_from_bytes(envelope.content))
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [r.message for r in self.received if address in r.to]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server on loopback; Django's e-mail goes to it while the test runs."""
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()
