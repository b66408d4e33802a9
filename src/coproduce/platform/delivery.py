"""Sending the notification outbox: urgent first, one SMTP connection per batch, in parallel.

`send_pending` drains what is due. A sender claims a batch of rows in priority order (urgent
alerts and escalations before invitations and reminders), sends the batch over one SMTP
connection, then records every row's outcome in one statement. When the first batch is full,
more senders (threads, `COPRODUCE_OUTBOX_SENDERS`) join in. Several senders and several
workers never send a row twice at once: the claim is `SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL (each sender skips the rows another is claiming) and SQLite serialises it with its
IMMEDIATE transactions. A claim left by a worker that died is taken over when its lease ends,
or at once by the next worker started on the same host (`release_claims`).

Delivery is at least once: a worker killed between sending a batch and recording it sends
that batch again after the lease. A row refused for good (5xx for this message) is `failed`
and never retried; any other failure is retried with backoff, and after
FAILING_AFTER_ATTEMPTS failures the row gets `failed_at` while retries go on. Both states are
what the escalation of undeliverable urgent notifications looks for (`failing`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F, Q, QuerySet
from django.dispatch import Signal

from coproduce.platform import clock
from coproduce.platform.mail import new_mailer, refused_for_good
from coproduce.platform.models import Channel, Notification, NotificationStatus, Priority
from coproduce.platform.sms import send_sms

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)
# An urgent notification is tried again at least this often, however long it has failed.
URGENT_MAX_BACKOFF = dt.timedelta(minutes=5)
FAILING_AFTER_ATTEMPTS = 3
RECORD_RETRY_WAITS = (0.5, 1, 2, 4, 8)  # seconds

# The floor knows no app: the apps whose messages need it hook in, in their ready().
# Sent once per failed row, in a transaction of its own, with notification=, error=, now=
# (the safety net escalates an urgent alert whose message reaches nobody).
send_failed = Signal()
# Functions that take secrets (check-in and reset links) out of a body once it is sent, so
# the database keeps digests only (checkins.tokens.scrub_links).
_scrubbers: list[Callable[[str], str]] = []


# Functions that may move the next try of a failed row later: (row, planned time) -> time.
# Never applied to urgent rows, which are tried again within minutes, day and night.
_retry_holds: list[Callable[[Notification, dt.datetime], dt.datetime]] = []


def hold_retries(hold: Callable[[Notification, dt.datetime], dt.datetime]) -> None:
    """Let `hold(row, at)` put off a failed row's next try (e.g. until morning)."""
    if hold not in _retry_holds:
        _retry_holds.append(hold)


def _retry_at(n: Notification, at: dt.datetime) -> dt.datetime:
    if n.priority == Priority.URGENT:
        return at
    for hold in _retry_holds:
        at = hold(n, at)
    return at


def scrub_after_sending(scrub: Callable[[str], str]) -> None:
    """Apply `scrub` to every body once it is sent."""
    if scrub not in _scrubbers:
        _scrubbers.append(scrub)


def _scrubbed(body: str) -> str:
    for scrub in _scrubbers:
        body = scrub(body)
    return body


def backoff(attempts: int, priority: int = Priority.ROUTINE) -> dt.timedelta:
    """Return the wait before retry number `attempts` + 1: 1, 2, 4, 8 … minutes, capped."""
    cap = URGENT_MAX_BACKOFF if priority == Priority.URGENT else MAX_BACKOFF
    return min(dt.timedelta(minutes=2 ** min(max(attempts - 1, 0), 16)), cap)


def failing() -> QuerySet[Notification]:
    """Rows refused for good, or failed FAILING_AFTER_ATTEMPTS times and not sent since."""
    return Notification.objects.filter(failed_at__isnull=False).exclude(
        status=NotificationStatus.SENT
    )


def _ready(now: dt.datetime) -> Q:
    return Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING,
        claimed_until__lt=now,  # a worker died mid-send
    )


def due() -> QuerySet[Notification]:
    """Rows waiting to be sent now (what a running worker would be sending)."""
    return Notification.objects.filter(_ready(clock.now()))


def claim(now: dt.datetime, *, limit: int, by: str = "") -> list[Notification]:
    """Claim up to `limit` due rows, most urgent first; return them (attempts counted)."""
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(_ready(now))
            .order_by("priority", "next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.SENDING,
            claimed_until=now + CLAIM_LEASE,
            claimed_by=by[:100],
            attempts=F("attempts") + 1,
        )
        return list(Notification.objects.filter(pk__in=ids).order_by("priority", "pk"))


def release_claims(worker_ids: list[str]) -> int:
    """Hand back rows claimed by workers known to be dead; return how many."""
    if not worker_ids:
        return 0
    return Notification.objects.filter(
        status=NotificationStatus.SENDING, claimed_by__in=worker_ids
    ).update(status=NotificationStatus.PENDING, claimed_until=None, claimed_by="")


def claimed_by_host(host: str) -> list[str]:
    """Return the worker ids on `host` that hold claims."""
    return list(
        Notification.objects.filter(
            status=NotificationStatus.SENDING, claimed_by__startswith=f"{host}:"
        )
        .values_list("claimed_by", flat=True)
        .distinct()
    )


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # the connection is already broken; nothing to hand back
        log.debug("closing a broken SMTP connection failed", exc_info=True)


def _send_batch(rows: list[Notification]) -> list[BaseException | None]:
    """Send `rows` (one SMTP connection for all the e-mail); return each row's error or None."""
    outcomes: list[BaseException | None] = []
    mail = None
    try:
        for n in rows:
            try:
                if n.channel == Channel.SMS:
                    send_sms(n.to, n.body)
                else:
                    if mail is None:
                        mail = new_mailer()
                        mail.open()
                    message = EmailMessage(n.subject, n.body, None, [n.to])
                    if n.attachment_name and n.attachment is not None:
                        message.attach(
                            n.attachment_name, bytes(n.attachment), n.attachment_type or None
                        )
                    mail.send_messages([message])
            except Exception as exc:
                outcomes.append(exc)
                if mail is not None and not refused_for_good(exc):
                    _close_quietly(mail)  # broken or unknown state: the next row reconnects
                    mail = None
                continue
            outcomes.append(None)
    finally:
        if mail is not None:
            _close_quietly(mail)
    return outcomes


def _record(
    rows: list[Notification], outcomes: list[BaseException | None], now: dt.datetime
) -> dict[str, int]:
    counts = {"sent": 0, "failed": 0}
    for n, exc in zip(rows, outcomes, strict=True):
        n.claimed_until = None
        n.claimed_by = ""
        if exc is None:
            n.status = NotificationStatus.SENT
            n.sent_at = now
            n.body = _scrubbed(n.body)
            n.attachment = None  # the attachment's owner keeps the original (e.g. the consent)
            counts["sent"] += 1
            continue
        counts["failed"] += 1
        n.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if refused_for_good(exc):
            n.status = NotificationStatus.FAILED
            n.failed_at = n.failed_at or now
            log.error("Notification %s refused for good, not retried: %s", n.pk, n.last_error)
            continue
        n.status = NotificationStatus.PENDING
        n.next_attempt_at = _retry_at(n, now + backoff(n.attempts, n.priority))
        if n.attempts >= FAILING_AFTER_ATTEMPTS and n.failed_at is None:
            n.failed_at = now
        log.warning("Sending notification %s failed (attempt %s): %s", n.pk, n.attempts, exc)
    Notification.objects.bulk_update(
        rows,
        [
            "status",
            "sent_at",
            "body",
            "claimed_until",
            "claimed_by",
            "last_error",
            "next_attempt_at",
            "failed_at",
            "attachment",
        ],
    )
    for n, exc in zip(rows, outcomes, strict=True):
        if exc is not None:
            with transaction.atomic():
                send_failed.send(Notification, notification=n, error=exc, now=now)
    return counts


def _record_soon(
    rows: list[Notification], outcomes: list[BaseException | None], now: dt.datetime
) -> dict[str, int]:
    """Record outcomes, riding out a short database outage: the messages are already out, and
    a row left claimed would be sent again (or, until its lease ends, not at all)."""
    for wait in RECORD_RETRY_WAITS:
        try:
            return _record(rows, outcomes, now)
        except (OperationalError, InterfaceError) as exc:
            log.warning("Recording %s sent notifications failed (%s); retrying", len(rows), exc)
            db_connection.close()
            time.sleep(wait)
    return _record(rows, outcomes, now)


@dataclass
class _Drain:
    read_clock: Callable[[], dt.datetime]
    batch_size: int
    by: str
    stop: threading.Event | None
    counts: dict[str, int] = field(default_factory=lambda: {"sent": 0, "failed": 0})
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def one_batch(self) -> int:
        """Claim, send and record one batch; return how many rows it had."""
        rows = claim(self.read_clock(), limit=self.batch_size, by=self.by)
        if not rows:
            return 0
        outcomes = _send_batch(rows)
        counts = _record_soon(rows, outcomes, self.read_clock())
        with self.lock:
            for k, v in counts.items():
                self.counts[k] += v
        return len(rows)

    def until_empty(self) -> None:
        while not (self.stop and self.stop.is_set()) and not self.errors:
            if self.one_batch() < self.batch_size:
                return

    def in_thread(self) -> None:
        try:
            self.until_empty()
        except BaseException as exc:  # handed to the caller, who decides what a failure means
            self.errors.append(exc)
        finally:
            db_connection.close()  # each thread has its own database connection


def send_pending(
    now: dt.datetime | None = None,
    *,
    senders: int | None = None,
    batch_size: int | None = None,
    by: str = "",
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Send every due outbox row, most urgent first; return counts of sent and failed.

    `now` fixes the clock (tests); otherwise each batch reads the time. Extra sender threads
    start only when the first batch is full, so a quiet outbox costs one query.
    """
    drain = _Drain(
        read_clock=(lambda: now) if now is not None else clock.now,
        batch_size=batch_size or settings.COPRODUCE_OUTBOX_BATCH,
        by=by,
        stop=stop,
    )
    if drain.one_batch() < drain.batch_size:
        return drain.counts
    senders = senders or settings.COPRODUCE_OUTBOX_SENDERS
    if db_connection.vendor == "sqlite":
        # SQLite has one writer at a time: extra senders would only wait for its lock (and
        # an in-memory database refuses a second thread at once: "table is locked").
        senders = 1
    helpers = [
        threading.Thread(target=drain.in_thread, name=f"outbox-sender-{i}", daemon=True)
        for i in range(max(senders - 1, 0))
    ]
    for t in helpers:
        t.start()
    try:
        drain.until_empty()
    finally:
        for t in helpers:
            t.join()
    if drain.errors:
        raise drain.errors[0]
    return drain.counts
