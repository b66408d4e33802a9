"""Fault run: gunicorn and `coproduce worker` on PostgreSQL under load, four faults, then count.

Builds a fresh database, one site with a nurse (nurse@example.org) and 10 patients per
client in the opioid-taper program, each with open weekly PHQ-9 + PEG invitations, and logs
every patient in (a session each, made by django.contrib.auth's login). It starts an SMTP
server (aiosmtpd, in this process) that records every message with its arrival time,
gunicorn (2 workers x 8 threads) and `coproduce worker` sending mail to that server.

30 client threads then submit check-ins to POST /api/v1/checkins/ for 60 s, each cycling
through its patients, oldest invitation first, pausing --think s on average between
submissions. About 5 % carry a red flag (PHQ-9 item 9 > 0), at most one per patient. Each
submission has one Idempotency-Key; after no reply or a 5xx the client sends it again with
the same key (backing off, up to 15 s after the run), so a retry must never duplicate.

Faults, at 1/6, 2/6, 3/6 and 4/6 of the run (10, 20, 30, 40 s for 60 s):
  kill -9 one gunicorn web worker (the master starts another);
  kill -9 the gunicorn master, then start gunicorn again (as a service manager would);
  kill -9 `coproduce worker`, then start it again ("the worker is back");
  pg_terminate_backend every connection the web and worker processes have.

Afterwards it waits (bounded) for urgent notifications, stops every process it started and
counts from the database: accepted = stored, 0 duplicates, every red flag exactly one urgent
alert, every urgent alert delivered to the SMTP server within 60 s after the worker is back.
Each check prints PASS or FAIL with its counts; the exit status is 1 when any check fails.

    python3 tools/make_venv.py install .venv gunicorn aiosmtpd   # this bench only (not deps)
    .venv/bin/python bench/fault_run.py [--database-url postgres://...] [--seconds 60]

Loopback only. Logs of gunicorn and the worker stay in var/fault_run/<time>/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/faultbench")
    p.add_argument("--recreate", action="store_true", help="drop the database first if it exists")
    p.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    p.add_argument("--seconds", type=float, default=60.0, help="how long clients submit")
    p.add_argument("--clients", type=int, default=30)
    p.add_argument("--patients-per-client", type=int, default=10)
    p.add_argument("--invitations", type=int, default=20, help="open invitations per patient")
    p.add_argument("--think", type=float, default=0.5, help="mean pause between submits (s)")
    p.add_argument("--red-flag-share", type=float, default=0.05)
    p.add_argument("--within", type=float, default=60.0, help="delivery limit after worker back")
    p.add_argument("--port", type=int, default=8400, help="gunicorn")
    p.add_argument("--smtp-port", type=int, default=8401)
    p.add_argument("--web-workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--log-dir", type=Path, default=None)
    return p.parse_args()


ARGS = parse_args()
LOG_DIR = ARGS.log_dir or REPO / "var" / "fault_run" / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
LOG_DIR.mkdir(parents=True, exist_ok=True)
# One environment for this process, gunicorn and the worker. Demo mode: test mode would keep
# mail in memory; production would need collected static files. Mail goes to our server.
os.environ.update(
    DJANGO_SETTINGS_MODULE="coproduce.settings",
    DATABASE_URL=ARGS.database_url,
    COPRODUCE_MODE="demo",
    COPRODUCE_SECRET_KEY=secrets.token_urlsafe(40),
    COPRODUCE_ALLOWED_HOSTS=HOST,
    COPRODUCE_BASE_URL=f"http://{HOST}:{ARGS.port}",
    COPRODUCE_VAR_DIR=str(LOG_DIR / "var"),
    COPRODUCE_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    COPRODUCE_EMAIL_HOST=HOST,
    COPRODUCE_EMAIL_PORT=str(ARGS.smtp_port),
)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_submit as common  # noqa: E402  (sets Django up on DATABASE_URL)
import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client as DjangoClient  # noqa: E402
from fault_checks import SmtpSink, Submission, count, delivery, stored_ids  # noqa: E402

from coproduce.checkins.models import Invitation  # noqa: E402
from coproduce.platform import clock  # noqa: E402

T0 = [time.time()]  # start of the load; event times are printed relative to it
EVENTS: list[tuple[float, str]] = []


def event(text: str) -> None:
    EVENTS.append((time.time(), text))
    print(f"  t={time.time() - T0[0]:+6.1f} s  {text}", flush=True)


# --- processes --------------------------------------------------------------------------


class Processes:
    """Every process group this run started, so that all of them end whatever happens."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []
        self.lock = threading.Lock()
        self.closed = False

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        with self.lock:  # a fault thread may restart something while the run is ending
            if self.closed:
                raise RuntimeError(f"not starting {name}: the run is ending")
            with (LOG_DIR / f"{name}.log").open("ab") as log:
                proc = subprocess.Popen(
                    command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        with self.lock:
            self.closed = True
        # A new session per process: its group id is its pid, and holds any orphaned child.
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            for proc in self.started:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            end = time.time() + wait
            while time.time() < end and any(group_alive(p.pid) for p in self.started):
                time.sleep(0.1)
            for proc in self.started:
                if proc.poll() is None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(max(0.1, end - time.time()))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def children(pid: int) -> list[int]:
    """Live child processes of `pid` (read from /proc; no psutil needed)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d.name))
    return out


def pid_alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


class Stack:
    """gunicorn and `coproduce worker`, each restartable, watched for exiting on their own."""

    def __init__(self, procs: Processes):
        self.procs = procs
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.worker_back = 0.0
        self.worker_exit_seen = False

    def start_web(self) -> float:
        """Start gunicorn; return when it answers (seconds taken)."""
        start = time.time()
        self.web = self.procs.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"), "coproduce.wsgi:application",
                "-w", str(ARGS.web_workers), "--threads", str(ARGS.threads),
                "-b", f"{HOST}:{ARGS.port}", "--timeout", "30", "--graceful-timeout", "5",
            ],
        )  # fmt: skip
        while time.time() - start < 60:
            if self.web.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.web.returncode}); see {LOG_DIR}")
            try:
                c = http.client.HTTPConnection(HOST, ARGS.port, timeout=2)
                c.request("GET", "/login/")
                if c.getresponse().status == 200:
                    c.close()
                    return time.time() - start
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def start_worker(self) -> None:
        self.worker = self.procs.start("worker", [str(BIN / "coproduce"), "worker"])
        self.worker_back = time.time()
        self.worker_exit_seen = False

    def watch(self) -> None:
        """Note once when the worker exits without being killed by us."""
        w = self.worker
        if w is not None and not self.worker_exit_seen and w.poll() is not None:
            self.worker_exit_seen = True
            event(f"coproduce worker EXITED by itself (status {w.returncode})")


def sleep_until(at: float, stack: Stack) -> None:
    while time.time() < at:
        stack.watch()
        time.sleep(min(0.2, max(0.0, at - time.time())))


def kill_web_worker(stack: Stack) -> None:
    assert stack.web is not None
    workers = children(stack.web.pid)
    if not workers:
        event("no gunicorn web worker to kill")
        return
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    killed = time.time()
    event(f"kill -9 gunicorn web worker {victim}")
    while time.time() - killed < 15:
        now = [p for p in children(stack.web.pid) if p != victim]
        if len(now) >= ARGS.web_workers:
            event(f"  the master started another worker after {time.time() - killed:.1f} s")
            return
        time.sleep(0.1)
    event("  the master did not replace the worker within 15 s")


def kill_web_master(stack: Stack) -> None:
    assert stack.web is not None
    master, workers = stack.web.pid, children(stack.web.pid)
    os.kill(master, signal.SIGKILL)
    killed = time.time()
    stack.web.wait()
    event(f"kill -9 gunicorn master {master} ({len(workers)} workers)")
    # Orphaned workers keep the listening socket until they notice the master is gone.
    while any(pid_alive(p) for p in workers) and time.time() - killed < 10:
        time.sleep(0.1)
    left = [p for p in workers if pid_alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    gone = f"its workers exited after {time.time() - killed:.1f} s"
    event(f"  {gone}" + (f"; {len(left)} still running were killed" if left else ""))
    ready = stack.start_web()
    event(f"  gunicorn started again; answering after {time.time() - killed:.1f} s "
          f"({ready:.1f} s to boot)")  # fmt: skip


def kill_worker(stack: Stack) -> None:
    assert stack.worker is not None
    if stack.worker.poll() is None:
        stack.worker_exit_seen = True  # this exit is ours, not the worker's
        os.kill(stack.worker.pid, signal.SIGKILL)
        stack.worker.wait()
        event(f"kill -9 coproduce worker {stack.worker.pid}")
    else:
        event(f"coproduce worker had already exited ({stack.worker.returncode})")
    stack.start_worker()
    assert stack.worker is not None
    event(f"  coproduce worker started again ({stack.worker.pid}): the worker is back")


def terminate_connections(stack: Stack) -> None:
    admin, name = common._maintenance(ARGS.database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            [name],
        ).fetchall()
    event(f"pg_terminate_backend: {sum(1 for (ok,) in rows if ok)} connections of the app")


def _fault(fault, stack: Stack) -> None:
    try:
        fault(stack)
    except Exception as exc:  # e.g. gunicorn not starting again: the checks will show it
        event(f"{fault.__name__} FAILED: {type(exc).__name__}: {exc}")


# --- the clinic and its clients ---------------------------------------------------------


class Patient:
    def __init__(self, user_id: int, session: str, plan: list[Submission]):
        self.user_id, self.session, self.plan = user_id, session, plan


def prepare() -> list[list[Patient]]:
    """Database, rules, patients with invitations, sessions; answers planned per client."""
    call_command("migrate", verbosity=0)
    common.sync_rules()
    n = ARGS.clients * ARGS.patients_per_client
    weeks = ARGS.invitations
    now = clock.now()
    patients = common.build_world(
        n,
        weeks,
        first_due=now - dt.timedelta(weeks=weeks + 1),
        expires_after=dt.timedelta(weeks=weeks + 3),
        tag="fault",
    )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    clients: list[list[Patient]] = [[] for _ in range(ARGS.clients)]
    for i, p in enumerate(patients):
        invitations = list(Invitation.objects.filter(patient=p).order_by("due_at"))
        plan = [
            Submission(p.user_id, inv.pk, given, note, 0)
            for inv, (given, note) in zip(
                invitations, common.plan_answers(invitations), strict=True
            )
        ]
        browser = DjangoClient()
        browser.force_login(p.user)  # the session a login makes (no password hashing here)
        session = browser.cookies["sessionid"].value
        clients[i % ARGS.clients].append(Patient(p.user_id, session, plan))
    # Red flags in the order each client will submit: a share of submissions, one per patient.
    for c, mine in enumerate(clients):
        rng, flagged = random.Random(c), set()
        for week in range(weeks):
            for p in mine:
                sub = p.plan[week]
                flag = p.user_id not in flagged and rng.random() < ARGS.red_flag_share
                sub.red_flag = rng.choice([1, 1, 1, 1, 1, 2, 2, 3]) if flag else 0
                sub.answers["phq9"]["phq9-9"] = sub.red_flag
                if flag:
                    flagged.add(p.user_id)
    return clients


class HttpClient(threading.Thread):
    """One client on its own keep-alive connection, submitting for its patients in turn."""

    def __init__(self, index: int, patients: list[Patient], end: float, hard_end: float):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.patients, self.end, self.hard_end = index, patients, end, hard_end
        self.conn: http.client.HTTPConnection | None = None
        self.csrf = ""
        self.stop = threading.Event()

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes, list]:
        """One request; status 0 when there was no reply (refused, reset, timed out)."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, ARGS.port, timeout=20)
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            return response.status, response.read(), response.msg.get_all("Set-Cookie") or []
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, b"", []

    def run(self) -> None:
        rng = random.Random(1000 + self.index)
        while not self.csrf and time.time() < self.end and not self.stop.is_set():
            _, _, cookies = self.request("GET", "/login/")
            for raw in cookies:
                if raw.startswith("csrftoken="):
                    self.csrf = raw.split(";", 1)[0].split("=", 1)[1]
            if not self.csrf:
                time.sleep(0.5)
        for week in range(ARGS.invitations):
            for p in self.patients:
                if time.time() >= self.end or self.stop.is_set():
                    return
                self.submit(p, p.plan[week])
                if ARGS.think:
                    time.sleep(min(rng.uniform(0, 2 * ARGS.think), max(0, self.end - time.time())))

    def submit(self, p: Patient, sub: Submission) -> None:
        sub.key = uuid.uuid4().hex
        body = json.dumps(
            {"invitation_id": sub.invitation_id, "answers": sub.answers, "free_text": sub.note}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={p.session}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
            "Idempotency-Key": sub.key,
        }
        delay = 0.2
        while True:
            status, data, _ = self.request("POST", "/api/v1/checkins/", body, headers)
            sub.tries.append((time.time(), status))
            doc = _json(data)
            sub.crisis_shown |= bool(doc.get("crisis") and doc.get("crisis_resources"))
            if 200 <= status < 300 and "id" in doc:
                sub.ids.add(int(doc["id"]))
                return
            if 0 < status < 500:
                return  # refused: retrying the same request cannot help
            if time.time() + delay > self.hard_end or self.stop.is_set():
                return  # gave up: counted as never acknowledged
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _json(data: bytes) -> dict:
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


# --- the run ----------------------------------------------------------------------------


def run(stack: Stack, sink: SmtpSink, clients: list[list[Patient]]) -> list[Submission]:
    seconds = ARGS.seconds
    T0[0] = time.time()
    end, hard_end = T0[0] + seconds, T0[0] + seconds + 15
    threads = [HttpClient(i, mine, end, hard_end) for i, mine in enumerate(clients)]
    print(f"\nload: {len(threads)} clients for {seconds:g} s; faults:", flush=True)
    try:
        for t in threads:
            t.start()
        # Each fault starts on time in its own thread: a slow restart must not delay the next.
        faults = (kill_web_worker, kill_web_master, kill_worker, terminate_connections)
        running = []
        for i, fault in enumerate(faults, start=1):
            sleep_until(T0[0] + seconds * i / 6, stack)
            running.append(threading.Thread(target=_fault, args=(fault, stack), daemon=True))
            running[-1].start()
        sleep_until(end, stack)
        for t in [*threads, *running]:
            while t.is_alive() and time.time() < hard_end + 60:
                stack.watch()
                t.join(0.2)
    finally:
        for t in threads:
            t.stop.set()
    event("clients stopped")
    # Wait (bounded) until every urgent alert's mail has arrived or can no longer be in time.
    user_ids = [p.user_id for mine in clients for p in mine]
    while True:
        stack.watch()
        d = delivery(stack.worker_back, ARGS.within, sink.snapshot(), stored_ids(user_ids))
        connections.close_all()
        if d.done or time.time() > max(d.last_deadline, stack.worker_back + ARGS.within) + 2:
            break
        time.sleep(1.0)
    event(f"waited for urgent mail: {d.in_time + d.late} of {d.alerts} alerts' mail received")
    return [s for mine in clients for p in mine for s in p.plan]


def log_figures() -> dict[str, int]:
    """Errors the servers logged (their logs stay in LOG_DIR)."""

    def lines(name: str, text: str) -> int:
        path = LOG_DIR / f"{name}.log"
        return path.read_text(errors="replace").count(text) if path.exists() else 0

    return {
        "web: requests that failed with a server error (log)": lines(
            "gunicorn", "Internal Server Error"
        ),
        "web: submits answered 'not stored' (log)": lines(
            "gunicorn", "Could not store an API check-in"
        ),
        "worker: tasks FAILED (log)": lines("worker", "state=FAILED"),
        "worker: scheduler ticks failed (log)": lines("worker", "Scheduler tick failed"),
        "worker: database reconnects (log)": lines("worker", "reconnecting"),
    }


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # so that `finally` stops every process on SIGTERM too


def main() -> int:
    url = ARGS.database_url
    common.check_loopback(url)
    for tool in ("gunicorn", "coproduce"):
        if not (BIN / tool).exists():
            sys.exit(
                f"this bench needs {tool} in {BIN}: "
                "python3 tools/make_venv.py install .venv gunicorn aiosmtpd"
            )
    if ARGS.recreate:
        common.drop_database(url)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"fault_run: {common.machine()}\nlogs: {LOG_DIR}")
    procs, sink, created = Processes(), SmtpSink(HOST, ARGS.smtp_port), False
    stack = Stack(procs)
    try:
        common.create_database(url)
        created = True
        clients = prepare()
        user_ids = [p.user_id for mine in clients for p in mine]
        connections.close_all()  # the servers must not share our connection
        sink.start()
        stack.start_web()
        stack.start_worker()
        time.sleep(3)  # the worker's first round (it queues every periodic job at start)
        subs = run(stack, sink, clients)
        stack.watch()
        alive = stack.worker is not None and stack.worker.poll() is None
        procs.stop_all()
        checks, figures = count(
            subs, user_ids, stack.worker_back, ARGS.within, sink.snapshot(), T0[0]
        )
    finally:
        procs.stop_all()
        sink.stop()
        connections.close_all()
        if created and not ARGS.keep_database:
            common.drop_database(url)
    print(f"\nfigures ({common.load()} at the end):")
    figures["worker running at the end"] = "yes" if alive else "no"
    figures.update(log_figures())
    for name, value in figures.items():
        print(f"  {name:<60} {f'{value:,}' if isinstance(value, int) else value}")
    print("\nchecks:")
    for c in checks:
        print(f"  {'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}")
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
