"""Sending the outbox to a real SMTP server (aiosmtpd): urgent first, batches, failures."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
from django.db import connection

from coproduce.platform import delivery
from coproduce.platform.models import Notification, NotificationStatus, Priority
from coproduce.safetynet.engine import notify
from coproduce.safetynet.models import Alert
from coproduce.safetynet.recipients import Address
from tests.smtp import point_mail_at

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def queue(n: int, *, priority: int = Priority.ROUTINE, tag: str = "r", at=NOW) -> list[int]:
    rows = Notification.objects.bulk_create(
        Notification(
            channel="email",
            to=f"{tag}{i}@example.org",
            subject=f"{tag} {i}",
            body=f"Message {tag} {i}",
            purpose="invitation" if priority == Priority.ROUTINE else "alert",
            dedupe_key=f"test:{tag}:{i}",
            priority=priority,
            next_attempt_at=at,
            created_at=at,
        )
        for i in range(n)
    )
    return [r.pk for r in rows]


def test_it_delivers_to_the_smtp_server_and_scrubs_the_row(db, smtp_server):
    queue(3)
    assert delivery.send_pending(NOW) == {"sent": 3, "failed": 0}
    got = smtp_server.wait_for(3)
    assert sorted(m.to[0] for m in got) == ["r0@example.org", "r1@example.org", "r2@example.org"]
    assert {m.subject for m in got} == {"r 0", "r 1", "r 2"}
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert set(Notification.objects.values_list("sent_at", flat=True)) == {NOW}


def test_it_sends_urgent_notifications_before_routine_ones(db, smtp_server):
    queue(30, at=NOW - dt.timedelta(hours=1))  # older, but routine
    queue(2, priority=Priority.URGENT, tag="u")
    delivery.send_pending(NOW, senders=1, batch_size=10)
    got = smtp_server.wait_for(32)
    assert [m.to[0] for m in got[:2]] == ["u0@example.org", "u1@example.org"]


def test_it_sends_a_batch_over_one_smtp_connection(db, smtp_server):
    queue(25)
    assert delivery.send_pending(NOW, senders=1, batch_size=10)["sent"] == 25
    smtp_server.wait_for(25)
    assert len(smtp_server.peers) == 3  # batches of 10, 10 and 5


def test_alert_e_mails_carry_the_alerts_priority(world):
    world.nina.email = "nina@example.org"
    world.nina.save()
    alert = Alert.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        rule_id="phq9-item9",
        priority=Priority.URGENT,
        reason="Thoughts of self-harm",
        created_at=NOW,
        ack_due_at=NOW + dt.timedelta(hours=1),
    )
    nina = Address(key=f"user:{world.nina.pk}", channel="email", to=world.nina.email)
    notify(alert, [nina], purpose="escalation", key="k", now=NOW)
    assert Notification.objects.get().priority == Priority.URGENT


def test_a_refused_message_fails_for_good_and_the_rest_of_the_batch_goes(db, smtp_server):
    queue(3)
    smtp_server.refuse.add("r1@example.org")
    assert delivery.send_pending(NOW) == {"sent": 2, "failed": 1}
    assert sorted(m.to[0] for m in smtp_server.wait_for(2)) == ["r0@example.org", "r2@example.org"]
    refused = Notification.objects.get(to="r1@example.org")
    assert (refused.status, refused.failed_at) == (NotificationStatus.FAILED, NOW)
    assert "550" in refused.last_error
    assert list(delivery.failing()) == [refused]
    assert delivery.send_pending(NOW + dt.timedelta(days=1)) == {"sent": 0, "failed": 0}


def test_a_notification_that_keeps_failing_is_marked_and_still_retried(db, smtp_server):
    (pk,) = queue(1, priority=Priority.URGENT, tag="u")
    now = NOW
    for attempt in range(1, 5):
        smtp_server.fail_next(1)
        assert delivery.send_pending(now) == {"sent": 0, "failed": 1}
        n = Notification.objects.get(pk=pk)
        assert (n.status, n.attempts) == (NotificationStatus.PENDING, attempt)
        assert "451" in n.last_error
        # Marked on the third failure, and kept from then on.
        assert n.failed_at == (None if attempt < 3 else NOW + dt.timedelta(minutes=3))
        assert list(delivery.failing()) == ([] if attempt < 3 else [n])
        now = n.next_attempt_at
    assert delivery.send_pending(now)["sent"] == 1
    assert smtp_server.to("u0@example.org")
    assert not delivery.failing().exists()  # sent in the end: nothing left to escalate


def test_urgent_retries_wait_at_most_five_minutes():
    assert delivery.backoff(30, Priority.URGENT) == dt.timedelta(minutes=5)
    assert delivery.backoff(30, Priority.ROUTINE) == dt.timedelta(hours=6)
    assert delivery.backoff(3, Priority.URGENT) == dt.timedelta(minutes=4)


def test_a_mail_server_that_is_down_only_delays_the_batch(db, smtp_server, settings):
    queue(2)
    with socket.socket() as s:  # a loopback port where nothing listens
        s.bind(("127.0.0.1", 0))
        point_mail_at(settings, s.getsockname()[1])
    assert delivery.send_pending(NOW) == {"sent": 0, "failed": 2}
    assert set(Notification.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert "Connection refused" in Notification.objects.first().last_error
    point_mail_at(settings, smtp_server.port)
    assert delivery.send_pending(NOW + dt.timedelta(minutes=1))["sent"] == 2


def test_a_claim_left_by_a_dead_worker_is_taken_over(db, smtp_server):
    (pk,) = queue(1)
    assert [n.pk for n in delivery.claim(NOW, limit=5, by="gone:1")] == [pk]
    assert delivery.send_pending(NOW)["sent"] == 0  # still leased
    assert delivery.release_claims(delivery.claimed_by_host("gone")) == 1
    assert delivery.send_pending(NOW)["sent"] == 1
    assert Notification.objects.get().attempts == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database answers 'table is locked' at once to a second "
    "thread instead of waiting; the claim that matters here is PostgreSQL's SKIP LOCKED",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_senders_and_workers_send_each_row_exactly_once(smtp_server):
    queue(150)
    queue(10, priority=Priority.URGENT, tag="u")
    results = []

    def worker():  # a second worker process, as far as the database can tell
        try:
            results.append(delivery.send_pending(NOW, senders=3, batch_size=10))
        finally:
            connection.close()

    others = [threading.Thread(target=worker) for _ in range(2)]
    for t in others:
        t.start()
    worker()
    for t in others:
        t.join()
    got = smtp_server.wait_for(160)
    assert sum(r["sent"] for r in results) == 160
    assert len(got) == 160 and len({m.to[0] for m in got}) == 160
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 160
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert len(smtp_server.peers) >= 16  # one connection per batch of 10
