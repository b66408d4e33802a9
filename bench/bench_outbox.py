"""Notifications out of the outbox: throughput and urgent latency, next to raw smtplib.

Creates its own PostgreSQL database (refuses one that exists), migrates it, starts a real
SMTP server in this process (aiosmtpd on a free loopback port: tests/smtp.py) and one or
more real `coproduce worker` processes (`--no-scheduler`: only the outbox and the queue)
pointed at both. Then:

  throughput: N routine alert-sized e-mails are committed to the outbox in one transaction;
              the time from that commit to the last message's arrival at the SMTP server.
  urgent:     with >= N routine rows waiting (topped up before every trial, so the backlog
              never drops below N while the workers drain it), one urgent row is committed;
              its latency is the time from that commit to its arrival. T trials: p50, p95,
              max.
  baseline:   the same N messages (same sender, recipients, subjects and bodies) sent by raw
              smtplib in a plain loop over one connection, in this process, in the same run;
              and as the outbox sent them before (Django's send_mail per row, so a new SMTP
              connection for each, one after the other).

Then it stops the workers and the server and drops the database, even on error.

    .venv/bin/python bench/bench_outbox.py [--messages 2000] [--trials 20] [--workers 1]
        [--senders 4] [--batch 20]

BENCH_OUTBOX_DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/bench_outbox
(loopback only). Goals (issue 11, part 5): >= 50 notifications/s; urgent p95 <= 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_outbox"
BODY = (
    "PHQ-9 item 9 answered 'more than half the days' (thoughts of self-harm).\n\n"
    "Patient CP-{i:06d}. Please open the alert queue and acknowledge it by "
    "2026-03-02 10:00 CET.\n"
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=2000, help="routine backlog size")
    p.add_argument("--trials", type=int, default=20, help="urgent notifications timed")
    p.add_argument("--workers", type=int, default=1, help="worker processes")
    p.add_argument("--senders", type=int, default=4, help="sender threads per worker")
    p.add_argument("--batch", type=int, default=20, help="rows per claim and SMTP connection")
    p.add_argument("--timeout", type=float, default=300.0, help="give up after (s) per phase")
    return p.parse_args()


ARGS = parse_args()
sys.path.insert(0, str(REPO))  # tests.smtp: the same SMTP server the tests use
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.smtp import SmtpServer  # noqa: E402

SMTP = SmtpServer().start()
os.environ["DATABASE_URL"] = os.environ.get("BENCH_OUTBOX_DATABASE_URL", DEFAULT_URL)
os.environ["COPRODUCE_MODE"] = "test"
os.environ.update(SMTP.environ())

import bench_submit  # noqa: E402  (sets up Django on DATABASE_URL)
from common import load, machine, pct  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from coproduce.platform import clock  # noqa: E402
from coproduce.platform.models import (  # noqa: E402
    Notification,
    NotificationStatus,
    Priority,
    WorkerHeartbeat,
)

_serial = 0


def rows(n: int, *, priority: int, tag: str) -> list[Notification]:
    global _serial
    now = clock.now()
    out = []
    for _ in range(n):
        _serial += 1
        out.append(
            Notification(
                channel="email",
                to=f"{tag}{_serial}@example.org",
                subject=f"{'Urgent' if priority == Priority.URGENT else 'Routine'} alert: "
                f"CP-{_serial:06d}",
                body=BODY.format(i=_serial),
                purpose="alert" if priority == Priority.URGENT else "invitation",
                priority=priority,
                dedupe_key=f"bench:{tag}:{_serial}",
                next_attempt_at=now,
                created_at=now,
            )
        )
    return out


def commit(batch: list[Notification]) -> float:
    """Store `batch` in one transaction; return the monotonic time of the commit."""
    with transaction.atomic():
        Notification.objects.bulk_create(batch, batch_size=1000)
    return time.monotonic()


def wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up: {what} within {timeout} s")
        time.sleep(0.05)


def start_workers(tmp: Path) -> list[subprocess.Popen]:
    env = os.environ | {
        "COPRODUCE_OUTBOX_SENDERS": str(ARGS.senders),
        "COPRODUCE_OUTBOX_BATCH": str(ARGS.batch),
    }
    procs = []
    for i in range(ARGS.workers):
        log = (tmp / f"worker-{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "coproduce.cli", "worker", "--no-scheduler"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp,
            )
        )
    pids = {p.pid for p in procs}
    wait(
        lambda: set(WorkerHeartbeat.objects.values_list("pid", flat=True)) >= pids,
        60,
        "every worker's first heartbeat",
    )
    return procs


def throughput() -> tuple[float, float, list[Notification]]:
    batch = rows(ARGS.messages, priority=Priority.ROUTINE, tag="t")
    before = len(SMTP.messages)
    t0 = commit(batch)
    SMTP.wait_for(before + ARGS.messages, timeout=ARGS.timeout)
    last = max(m.at for m in SMTP.messages[before:])
    return ARGS.messages / (last - t0), last - t0, batch


def urgent_latencies() -> tuple[list[float], int]:
    latencies, smallest_backlog = [], None
    # Rows still waiting (not yet claimed by a sender) are the ones an urgent row must pass.
    waiting = Notification.objects.filter(
        status=NotificationStatus.PENDING, priority=Priority.ROUTINE
    )
    margin = 2 * ARGS.workers * ARGS.senders * ARGS.batch + 100  # what drains meanwhile
    before = len(SMTP.messages)
    commit(rows(ARGS.messages + margin, priority=Priority.ROUTINE, tag="b"))
    wait(lambda: len(SMTP.messages) > before, 30, "the workers to start draining")
    for _ in range(ARGS.trials):
        shortfall = ARGS.messages + margin - waiting.count()
        if shortfall > 0:
            commit(rows(shortfall, priority=Priority.ROUTINE, tag="b"))
        (urgent,) = rows(1, priority=Priority.URGENT, tag="u")
        with transaction.atomic():
            backlog = waiting.count()  # what waits ahead of it as it is committed
            urgent.save()
        t0 = time.monotonic()
        smallest_backlog = backlog if smallest_backlog is None else min(smallest_backlog, backlog)
        got = SMTP.wait_to(urgent.to, timeout=ARGS.timeout)
        latencies.append(got.at - t0)
    return latencies, smallest_backlog or 0


def raw_smtplib(batch: list[Notification]) -> float:
    """The baseline: the same messages, one smtplib connection, a plain loop."""
    messages = []
    for n in batch:
        m = EmailMessage()
        m["Subject"], m["From"], m["To"] = n.subject, "coproduce@localhost", n.to
        m.set_content(n.body)
        messages.append(m)
    before = len(SMTP.messages)
    t0 = time.monotonic()
    with smtplib.SMTP(SMTP.host, SMTP.port, timeout=30) as s:
        for m in messages:
            s.send_message(m)
    SMTP.wait_for(before + len(messages), timeout=ARGS.timeout)
    return len(messages) / (time.monotonic() - t0)


def one_connection_each(batch: list[Notification]) -> float:
    """What the outbox did before: Django's send_mail per row, a new SMTP connection each."""
    from django.core.mail import send_mail

    before = len(SMTP.messages)
    t0 = time.monotonic()
    for n in batch:
        send_mail(n.subject, n.body, None, [n.to], fail_silently=False)
    SMTP.wait_for(before + len(batch), timeout=ARGS.timeout)
    return len(batch) / (time.monotonic() - t0)


def main() -> None:
    url = os.environ["DATABASE_URL"]
    bench_submit.create_database(url)
    procs: list[subprocess.Popen] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    try:
        call_command("migrate", verbosity=0)
        print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
        print(
            f"# {ARGS.workers} worker(s) x {ARGS.senders} senders, batches of {ARGS.batch}; "
            f"aiosmtpd on {SMTP.host}:{SMTP.port} (in this process)"
        )
        procs = start_workers(tmp)
        rate, took, batch = throughput()
        connections_used = len({m.peer for m in SMTP.messages[-ARGS.messages :]})
        print(
            f"throughput: {ARGS.messages} notifications in {took:.2f} s = {rate:.0f}/s "
            f"over {connections_used} SMTP connections"
        )
        latencies, backlog = urgent_latencies()
        print(
            f"urgent behind >= {backlog} routine ({len(latencies)} trials): "
            f"p50 {pct(latencies, 0.5):.2f} s, p95 {pct(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s, mean {statistics.mean(latencies):.2f} s"
        )
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
        procs = []
        raw = raw_smtplib(batch)
        print(f"baseline: raw smtplib, one connection, plain loop: {raw:.0f}/s")
        print(f"outbox / raw smtplib: {rate / raw:.2f}")
        old = one_connection_each(batch)
        print(f"before: send_mail per row, one connection each, plain loop: {old:.0f}/s")
        print(f"# {load()} at the end")
        goal_rate, goal_p95 = rate >= 50, pct(latencies, 0.95) <= 10
        print(
            f"goals: >= 50/s {'met' if goal_rate else 'NOT met'}; "
            f"urgent p95 <= 10 s {'met' if goal_p95 else 'NOT met'}"
        )
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        SMTP.stop()
        connections.close_all()
        bench_submit.drop_database(url)


if __name__ == "__main__":
    main()
