"""The one worker loop behind `coproduce worker` and `coproduce scheduler`.

A worker runs two loops in threads of its own: the *outbox* loop sends due notifications
(polling every second, so an urgent one never waits for the next minute) and the *jobs* loop
queues the periodic jobs on schedule and runs the queued ones (`django-tasks-db`). Neither
ever gives up on a database error: the loop logs it, drops the broken connection and tries
again after 1, 2, 4 … 30 seconds, so a restarted or failed-over database, or a terminated
backend, only pauses the work. Both loops touch this worker's heartbeat row (host:pid), which
`coproduce worker --check` and the staff pages' "Notifications are delayed" banner read.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Max
from django_tasks_db.management.commands.db_worker import Worker as TaskRunner
from django_tasks_db.models import DBTaskResult

from coproduce.platform import clock, delivery, tasks
from coproduce.platform.models import WorkerHeartbeat

log = logging.getLogger(__name__)

BEAT_EVERY = 5.0  # seconds between heartbeat writes
FRESH = 120.0  # a heartbeat younger than this says a worker is alive (--check's default)
MAX_RETRY_DELAY = 30.0
FORGET_AFTER = dt.timedelta(days=7)  # heartbeats of workers gone this long are removed
TRANSIENT = (OperationalError, InterfaceError)


def tick(n: int, *, inline: bool = False) -> list[str]:
    """Queue (or, inline, run) the periodic jobs due on minute `n`; return their names."""
    due = tasks.minute_jobs()
    if n % 60 == 0:
        due = tasks.hour_jobs() + due
    for job in due:
        if inline:
            job.call()
        else:
            job.enqueue()
    return [job.name for job in due]


def last_seen(host: str | None = None) -> dt.datetime | None:
    """Return when any worker (on `host`) last touched its heartbeat (None if none did)."""
    beats = (
        WorkerHeartbeat.objects.all() if host is None else WorkerHeartbeat.objects.filter(host=host)
    )
    return beats.aggregate(last=Max("seen_at"))["last"]


def check(max_age: float, *, this_host: bool = False) -> tuple[int, str]:
    """The liveness probe: (0, …) fresh, (1, …) stale or never seen, (2, …) no database."""
    try:
        seen = last_seen(_identity()[1] if this_host else None)
    except DatabaseError as exc:
        return 2, f"database unreachable: {exc}".strip()
    if seen is None:
        return 1, "no worker has been seen" + (" on this host" if this_host else "")
    age = max((clock.now() - seen).total_seconds(), 0.0)
    if age > max_age:
        return 1, f"last seen {age:.0f} s ago (stale: more than {max_age:.0f} s)"
    return 0, f"last seen {age:.0f} s ago"


def notifications_delayed(max_age: float = FRESH) -> bool:
    """True when work is due (outbox rows or queued jobs) and no worker was seen lately.

    One statement of three EXISTS, so that every staff page pays one cheap query.
    """
    now = clock.now()
    parts = [
        WorkerHeartbeat.objects.filter(seen_at__gte=now - dt.timedelta(seconds=max_age)),
        delivery.due(),
        DBTaskResult.objects.ready(),
    ]
    sqls: list[str] = []
    params: list[Any] = []
    for qs in parts:
        sql, p = qs.order_by().values("pk")[:1].query.sql_with_params()
        sqls.append(f"EXISTS ({sql})")
        params.extend(p)
    with connection.cursor() as cursor:
        # Only SQL compiled by the ORM is joined here; every value is a bound parameter.
        cursor.execute(f"SELECT {', '.join(sqls)}", params)
        fresh, mail_due, jobs_due = cursor.fetchone()
    return not fresh and bool(mail_due or jobs_due)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _drop_connection() -> None:
    try:
        connection.close()
    except Exception:  # already broken; the next query opens a new one
        log.debug("closing a broken database connection failed", exc_info=True)


class _Jobs(TaskRunner):
    """django-tasks-db's runner in batch mode (run what is ready, return), beating between jobs."""

    def __init__(self, beat: Callable[[], None]):
        super().__init__(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=_identity()[0][:64],
            excluded_queue_names=[],
        )
        self._beat = beat

    def run_task(self, db_task_result) -> None:
        self._beat()
        super().run_task(db_task_result)


def _identity() -> tuple[str, str, int]:
    host, pid = socket.gethostname(), os.getpid()
    return f"{host}:{pid}"[:100], host[:255], pid


@dataclass
class Worker:
    """One worker process. `run()` blocks until `stop` is set (SIGTERM, SIGINT)."""

    schedule: bool = True  # queue the periodic jobs
    run_jobs: bool = True  # run queued jobs
    send: bool = True  # send the outbox
    inline: bool = False  # run periodic jobs in the schedule loop instead of queueing them
    interval: float = 60.0  # seconds between schedule rounds
    poll: float = 1.0  # seconds between looks at the outbox and the queue
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.worker_id, self.host, self.pid = _identity()
        self.started_at = clock.now()
        self._last_beat = 0.0
        self._beat_lock = threading.Lock()
        self._round = 0
        self._next_round = time.monotonic()
        self._jobs = _Jobs(self.beat) if self.run_jobs else None

    @property
    def beats(self) -> bool:
        """Only a process that does the work says it is alive (a scheduler alone does not)."""
        return self.run_jobs or self.send

    def beat(self, *, force: bool = False) -> None:
        if not self.beats:
            return
        with self._beat_lock:
            if not force and time.monotonic() - self._last_beat < BEAT_EVERY:
                return
            now = clock.now()
            if not WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=now):
                WorkerHeartbeat.objects.update_or_create(
                    worker_id=self.worker_id,
                    defaults={"host": self.host, "pid": self.pid, "seen_at": now},
                    create_defaults={
                        "host": self.host,
                        "pid": self.pid,
                        "started_at": self.started_at,
                        "seen_at": now,
                    },
                )
            self._last_beat = time.monotonic()

    def clean_up_after_the_dead(self) -> None:
        """Release claims of dead workers on this host; forget long-gone heartbeats."""
        dead = [
            wid
            for wid in delivery.claimed_by_host(self.host)
            if wid == self.worker_id  # a restart that got the same pid (containers)
            or not wid.rpartition(":")[2].isdigit()
            or not _alive(int(wid.rpartition(":")[2]))
        ]
        if released := delivery.release_claims(dead):
            log.warning("Took over %s notifications claimed by dead workers %s", released, dead)
        with transaction.atomic():
            WorkerHeartbeat.objects.filter(seen_at__lt=clock.now() - FORGET_AFTER).delete()

    # -- one round of each loop -------------------------------------------------------------

    def send_round(self) -> None:
        self.beat()
        delivery.send_pending(by=self.worker_id, stop=self.stop)

    def jobs_round(self) -> None:
        self.beat()
        if self.schedule and time.monotonic() >= self._next_round:
            names = tick(self._round, inline=self.inline)
            log.info("%s: %s", "Ran" if self.inline else "Queued", ", ".join(names))
            self._round += 1
            # After an outage, one round now rather than every missed round at once.
            self._next_round = max(self._next_round + self.interval, time.monotonic())
        if self._jobs is not None:
            self._jobs.running = not self.stop.is_set()
            self._jobs.run()

    def once(self) -> list[str]:
        """Everything due, once (`--batch`, `--once`); return the periodic jobs' names."""
        self.beat(force=True)
        names = tick(0, inline=self.inline) if self.schedule else []
        if self.send:
            delivery.send_pending(by=self.worker_id)
        if self._jobs is not None:
            self._jobs.run()
            if self.send:  # the jobs may have queued notifications (invitations, escalations)
                delivery.send_pending(by=self.worker_id)
        return names

    # -- the loops --------------------------------------------------------------------------

    def _forever(self, name: str, one_round: Callable[[], None]) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                one_round()
            except TRANSIENT as exc:
                failures += 1
                delay = min(2.0 ** (failures - 1), MAX_RETRY_DELAY)
                log.warning(
                    "%s loop: database unavailable (%s); reconnecting in %.0f s (try %s)",
                    name,
                    str(exc).strip() or type(exc).__name__,
                    delay,
                    failures,
                )
                _drop_connection()
            except Exception:
                failures += 1
                delay = min(2.0 ** (failures - 1), MAX_RETRY_DELAY)
                log.exception("%s loop failed; trying again in %.0f s", name, delay)
                _drop_connection()
            else:
                if failures:
                    log.warning("%s loop: database reachable again after %s tries", name, failures)
                failures = 0
                delay = self.poll
                close_old_connections()  # honours CONN_MAX_AGE, as a request's end does
            self.stop.wait(delay)
        _drop_connection()

    def run(self) -> None:
        """Run the loops until `stop` is set; raise if a loop thread dies unexpectedly."""
        self._forever_start()
        loops = []
        if self.send:
            loops.append(("outbox", self.send_round))
        if self.schedule or self.run_jobs:
            loops.append(("jobs", self.jobs_round))
        threads = [
            threading.Thread(target=self._forever, args=loop, name=loop[0], daemon=True)
            for loop in loops
        ]
        for t in threads:
            t.start()
        try:
            while not self.stop.wait(1.0):
                if not all(t.is_alive() for t in threads):
                    raise RuntimeError("a worker loop stopped unexpectedly")
        finally:
            self.stop.set()
            if self._jobs is not None:
                self._jobs.running = False
            for t in threads:
                t.join(timeout=60)

    def _forever_start(self) -> None:
        """The start-up chores, retried like everything else until the database answers."""
        delay = 1.0
        while not self.stop.is_set():
            try:
                self.beat(force=True)
                self.clean_up_after_the_dead()
                _drop_connection()  # the loops have their own; this thread only waits
                return
            except TRANSIENT as exc:
                log.warning("database unavailable at start (%s); retrying in %.0f s", exc, delay)
                _drop_connection()
                self.stop.wait(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)
