"""A real SMTP server for tests and benchmarks: aiosmtpd on a free loopback port.

    with SmtpServer() as smtp:            # or the `smtp_server` fixture (tests/conftest.py)
        ...send to 127.0.0.1:smtp.port...
        smtp.wait_for(3)                  # block until 3 messages arrived (or fail)
        smtp.wait_to("nina@example.org")  # block until one to that address arrived
        smtp.messages[0].to, .subject, .body, .peer

`refuse` holds addresses the server answers "550 mailbox unavailable" for (a permanent
refusal of that message); `fail_next(n)` makes the next n messages get "451" (a passing
failure). `peers` tells how many SMTP connections the messages came over.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from coproduce.platform.mail import SMTP_BACKEND, mail_settings

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    mail_from: str
    to: tuple[str, ...]
    subject: str
    body: str
    peer: tuple[str, int]  # the client's address: one per SMTP connection
    at: float  # time.monotonic() when it arrived


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.server.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.server.lock:
            if self.server.transient_failures > 0:
                self.server.transient_failures -= 1
                return "451 4.3.0 try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        received = Received(
            mail_from=envelope.mail_from,
            to=tuple(envelope.rcpt_tos),
            subject=str(msg["subject"] or ""),
            body=body.get_content() if body is not None else "",
            peer=tuple(session.peer[:2]),
            at=time.monotonic(),
        )
        with self.server.arrived:
            self.server.messages.append(received)
            for address in received.to:
                self.server._first.setdefault(address, received)
            self.server.arrived.notify_all()
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's controller, bound to port 0: the real port is read once it listens."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """An SMTP server in this process, on 127.0.0.1 and a port the system picks."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._first: dict[str, Received] = {}  # the first message to each address
        self.refuse: set[str] = set()
        self.transient_failures = 0
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._controller = _FreePortController(_Handler(self), hostname=HOST, port=0)

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, n: int) -> None:
        """Answer the next `n` messages with a passing failure (451)."""
        with self.lock:
            self.transient_failures = n

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `n` messages arrived; return them (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.messages)} of {n} messages arrived within {timeout} s"
                    )
                self.arrived.wait(left)
            return list(self.messages)

    def wait_to(self, address: str, timeout: float = 10.0) -> Received:
        """Block until a message to `address` arrived; return the first one."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                got = self._first.get(address)
                if got is not None:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"nothing arrived for {address} within {timeout} s")
                self.arrived.wait(left)

    def to(self, address: str) -> list[Received]:
        """Messages delivered to `address`."""
        with self.lock:
            return [m for m in self.messages if address in m.to]

    @property
    def peers(self) -> set[tuple[str, int]]:
        with self.lock:
            return {m.peer for m in self.messages}

    def environ(self) -> dict[str, str]:
        """Environment variables that point a `coproduce` subprocess here."""
        return {
            "COPRODUCE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "COPRODUCE_EMAIL_HOST": HOST,
            "COPRODUCE_EMAIL_PORT": str(self.port),
            "COPRODUCE_EMAIL_TLS": "false",
        }


def smtp_settings(port: int, host: str = HOST) -> dict[str, object]:
    """Django settings (MAILERS or EMAIL_*, by Django version) that send by SMTP to host:port."""
    return mail_settings(SMTP_BACKEND, host=host, port=port, timeout=30)


def point_mail_at(settings, port: int, host: str = HOST) -> None:
    """Point pytest-django's `settings` fixture at an SMTP server on host:port."""
    for name, value in smtp_settings(port, host).items():
        setattr(settings, name, value)
