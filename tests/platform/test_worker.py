"""`coproduce worker`: survives database errors, beats, answers --check; the delayed banner."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coproduce.checkins import tasks as checkins_tasks
from coproduce.platform import clock, tasks
from coproduce.platform.models import Notification, NotificationStatus, Priority, WorkerHeartbeat
from coproduce.platform.worker import Worker

DELAYED = "Notifications are delayed"


def beat(seconds_ago: float, worker_id: str = "host-a:1") -> None:
    seen = clock.now() - dt.timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": "host-a", "pid": 1, "started_at": seen, "seen_at": seen},
    )


def queue(to: str = "nina@example.org", *, due_in: float = 0, key: str = "k1") -> Notification:
    at = clock.now() + dt.timedelta(seconds=due_in)
    return Notification.objects.create(
        channel="email",
        to=to,
        subject="Urgent alert",
        body="Please open the alert queue.",
        purpose="alert",
        priority=Priority.URGENT,
        dedupe_key=key,
        next_attempt_at=at,
        created_at=at,
    )


def no_database_env() -> dict[str, str]:
    """The environment of a process whose DATABASE_URL names a loopback port where no
    database listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return os.environ | {
        "COPRODUCE_MODE": "test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/nothing",
    }


def check(*args: str) -> tuple[int, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit:
        call_command("worker", "--check", *args, stdout=out, stderr=err)
    return exit.value.code, out.getvalue() + err.getvalue()


# -- the liveness probe ------------------------------------------------------------------


def test_the_check_fails_when_no_worker_was_ever_seen(db):
    assert check() == (1, "no worker has been seen\n")


def test_the_check_passes_with_a_fresh_heartbeat(db):
    beat(300, "host-a:1")
    beat(5, "host-b:2")  # several workers: the freshest counts
    code, out = check()
    assert code == 0 and out.startswith("last seen 5 s ago")


def test_the_check_can_ask_for_this_hosts_workers_only(db):
    beat(5, "elsewhere:1")
    assert check("--this-host") == (1, "no worker has been seen on this host\n")
    WorkerHeartbeat.objects.create(
        worker_id=f"{socket.gethostname()}:7",
        host=socket.gethostname(),
        pid=7,
        started_at=clock.now(),
        seen_at=clock.now() - dt.timedelta(seconds=30),
    )
    code, out = check("--this-host")
    assert code == 0 and out.startswith("last seen 30 s ago")


def test_the_check_fails_when_the_heartbeat_is_stale(db):
    beat(300)
    code, out = check()
    assert code == 1 and "last seen 300 s ago (stale: more than 120 s)" in out
    assert check("--max-age", "600")[0] == 0


def test_the_check_says_2_when_the_database_cannot_be_reached(tmp_path):
    env = no_database_env()
    done = subprocess.run(
        [sys.executable, "-m", "coproduce.cli", "worker", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "database unreachable" in done.stderr


# -- one loop ----------------------------------------------------------------------------


# Transactional: the job runner closes connections between jobs, as a worker must.
@pytest.mark.django_db(transaction=True)
def test_worker_batch_sends_the_outbox_and_runs_the_queued_jobs(smtp_server):
    queue()
    call_command("worker", "--batch")
    assert smtp_server.wait_for(1)[0].to == ("nina@example.org",)
    assert Notification.objects.get().status == NotificationStatus.SENT
    from django_tasks_db.models import DBTaskResult

    ran = DBTaskResult.objects.values_list("task_path", "status")
    assert len(ran) == len(tasks.EVERY_MINUTE) + len(tasks.EVERY_HOUR)
    assert {status for _, status in ran} == {"SUCCESSFUL"}
    assert WorkerHeartbeat.objects.get().pid == os.getpid()


def test_a_new_worker_takes_over_the_claims_of_a_dead_one_on_its_host(db):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    n = queue()
    Notification.objects.filter(pk=n.pk).update(
        status=NotificationStatus.SENDING,
        claimed_by=f"{socket.gethostname()}:{dead.pid}",
        claimed_until=clock.now() + dt.timedelta(minutes=5),
    )
    other_host = queue(key="k2")
    Notification.objects.filter(pk=other_host.pk).update(
        status=NotificationStatus.SENDING,
        claimed_by="elsewhere:1",
        claimed_until=clock.now() + dt.timedelta(minutes=5),
    )
    Worker().clean_up_after_the_dead()
    n.refresh_from_db()
    other_host.refresh_from_db()
    assert (n.status, n.claimed_by) == (NotificationStatus.PENDING, "")
    assert other_host.status == NotificationStatus.SENDING  # its lease decides


# -- "Notifications are delayed" on staff pages -------------------------------------------


def test_staff_pages_say_notifications_are_delayed_when_no_worker_runs(client, world):
    queue()
    client.force_login(world.nina)
    assert DELAYED in client.get("/alerts/").content.decode()
    beat(300)  # a worker that stopped five minutes ago does not count
    assert DELAYED in client.get("/team/patients/").content.decode()


def test_queued_jobs_past_due_also_count(client, world):
    checkins_tasks.dispatch_due.enqueue()
    client.force_login(world.nina)
    assert DELAYED in client.get("/alerts/").content.decode()


def test_no_banner_while_a_worker_is_alive_or_nothing_is_due(client, world):
    client.force_login(world.nina)
    assert DELAYED not in client.get("/alerts/").content.decode()  # nothing due
    queue(due_in=3600)  # a retry due in an hour is not late
    assert DELAYED not in client.get("/alerts/").content.decode()
    queue(key="k2")
    beat(10)
    assert DELAYED not in client.get("/alerts/").content.decode()


def test_patients_never_see_the_banner_and_pay_no_query_for_it(client, world):
    queue()
    client.force_login(world.alice.user)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/me/").content.decode()
    assert DELAYED not in page
    assert not [q for q in ctx.captured_queries if "workerheartbeat" in q["sql"]]


def test_the_banner_costs_staff_pages_one_query(client, world):
    queue()
    client.force_login(world.nina)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/alerts/")
    assert len([q for q in ctx.captured_queries if "workerheartbeat" in q["sql"]]) == 1


# -- a real worker process on PostgreSQL ---------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates PostgreSQL backends")
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_its_database_connections_being_terminated(smtp_server, tmp_path):
    env = (
        os.environ
        | smtp_server.environ()
        | {
            "COPRODUCE_MODE": "test",
            "DATABASE_URL": _database_url(),
            "COPRODUCE_LOG_LEVEL": "WARNING",
        }
    )
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "coproduce.cli", "worker", "--interval", "3600"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        _wait(lambda: WorkerHeartbeat.objects.filter(pid=worker.pid).exists(), 60, "a heartbeat")
        queue("before@example.org", key="before")
        smtp_server.wait_for(1, timeout=30)

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert len(cursor.fetchall()) >= 1  # the worker's connections
        terminated_at = clock.now()

        queue("after@example.org", key="after")
        smtp_server.wait_for(2, timeout=30)
        assert smtp_server.to("after@example.org")
        _wait(
            lambda: WorkerHeartbeat.objects.filter(
                pid=worker.pid, seen_at__gt=terminated_at
            ).exists(),
            30,
            "a heartbeat after the connections were terminated",
        )
        assert worker.poll() is None, log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text
    # Which part meets the cut connection first depends on timing: a loop (it says so and
    # reconnects), the outbox recording a send (it retries), or neither, when the cut falls
    # between rounds and the next round opens a new connection anyway. Whichever, it is a
    # transient outage, never a loop failure; the mail after the cut and the heartbeat above
    # show the worker came through.
    if "database unavailable" in text:
        assert "reconnecting in 1 s" in text and "database reachable again" in text, text
    assert "loop failed" not in text, text
    # Including the one whose outcome was being recorded when its connection was cut.
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 2


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_the_worker_waits_for_a_database_that_is_down_at_start(tmp_path, command):
    """The scheduler is the worker's loop, so it survives a database error as the worker does."""
    env = no_database_env()
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "coproduce.cli", command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        _wait(lambda: "retrying in 2 s" in log.read_text(), 60, "a second try")
        assert worker.poll() is None, log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    assert "database unavailable at start" in log.read_text()


# -- the scheduler command runs the same loop --------------------------------------------


def test_the_scheduler_runs_the_one_worker_loop(db):
    """Queueing only, it says nothing about being alive (it sends nothing); run inline, it
    does the work, so it beats like a worker."""
    import io

    from django_tasks_db.models import DBTaskResult

    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    queued = out.getvalue().removeprefix("Queued: ").strip().split(", ")
    assert queued and DBTaskResult.objects.count() == len(queued)
    assert not WorkerHeartbeat.objects.exists()
    call_command("scheduler", "--once", "--inline", stdout=io.StringIO())
    beat = WorkerHeartbeat.objects.get()
    assert beat.pid == os.getpid() and beat.worker_id == f"{socket.gethostname()}:{os.getpid()}"


def test_the_floor_keeps_the_tables_the_models_had_before_they_moved():
    assert Notification._meta.db_table == "safetynet_notification"
    assert WorkerHeartbeat._meta.db_table == "web_workerheartbeat"
    assert (Notification._meta.app_label, WorkerHeartbeat._meta.app_label) == ("platform",) * 2
