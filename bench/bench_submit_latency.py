"""Latency of POST /api/v1/checkins/ with 100 concurrent patients against a real server.

Builds a fresh database (PostgreSQL by default, or a temporary SQLite file), loads the
safety-net rules and creates one site with a nurse and P patients in the opioid-taper
program, each with S+1 open invitations (PHQ-9 + PEG). It then starts gunicorn on
127.0.0.1 (2 workers x 8 threads), logs every patient in through the real login form (each
keeps its own session cookie and CSRF token on its own keep-alive connection), spends one
submission per patient warming the workers up, and releases all P patient threads at
once. Each submits its S check-ins one after the other (optionally pausing --think seconds
on average between them), stopping after --max-seconds. Client-side latency is measured
around each request; gunicorn's access log gives the time spent in the server (%(D)s).

The server, and the database, are always removed at the end, even on error.

    python3 tools/make_venv.py install .venv gunicorn   # needed for this benchmark only
    .venv/bin/python bench/bench_submit_latency.py [--db postgres|sqlite] [--think 0]

Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

PG_URL = "postgres://postgres@127.0.0.1:5432/bench_submit_latency"
HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-" + uuid.uuid4().hex


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--patients", type=int, default=100)
    p.add_argument("--submits", type=int, default=20, help="check-ins per patient")
    p.add_argument("--max-seconds", type=float, default=60.0)
    p.add_argument("--think", type=float, default=0.0, help="mean pause between submits (s)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    return p.parse_args()


ARGS = parse_args()
TMP = Path(tempfile.mkdtemp(prefix="bench-latency-"))
if ARGS.db == "sqlite":
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
else:
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_LATENCY_DATABASE_URL", PG_URL)
os.environ["COPRODUCE_MODE"] = "test"
os.environ["COPRODUCE_ALLOWED_HOSTS"] = HOST
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_submit as common  # noqa: E402  (sets up Django on DATABASE_URL)
from common import pct  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from coproduce.checkins.models import CheckinResponse, Invitation  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Patient:
    """One simulated patient: a keep-alive connection, a session and a list of check-ins."""

    def __init__(self, port: int, username: str, invitations: list[Invitation]):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.username = username
        self.cookies: dict[str, str] = {}
        self.invitations = invitations
        self.answers = common.plan_answers(invitations)
        self.latencies: list[float] = []
        self.statuses: list[int] = []

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # gunicorn closes idle keep-alive connections after 2 s; reconnect once. Safe for
            # the submit too: a repeated Idempotency-Key stores one response.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        for raw in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return response.status, data

    def login(self) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, f"login page: {status}"
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]}
        status, _ = self.request(
            "POST",
            "/login/",
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302 and "sessionid" in self.cookies, f"login failed: {status}"

    def submit(self, i: int) -> tuple[int, float]:
        given, note = self.answers[i]
        body = json.dumps(
            {"invitation_id": self.invitations[i].pk, "answers": given, "free_text": note}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": self.cookies["csrftoken"],
            "Idempotency-Key": uuid.uuid4().hex,
        }
        start = time.perf_counter()
        status, _ = self.request("POST", "/api/v1/checkins/", body, headers)
        return status, time.perf_counter() - start

    def run(self, gate: threading.Barrier, deadline: list[float]) -> None:
        import random

        rng = random.Random(self.username)
        gate.wait()
        for i in range(1, len(self.invitations)):  # 0 was the warm-up
            if time.perf_counter() > deadline[0]:
                break
            if ARGS.think:
                time.sleep(rng.uniform(0, 2 * ARGS.think))
            try:
                status, seconds = self.submit(i)
            except (OSError, http.client.HTTPException):
                status, seconds = 0, float("nan")
                self.conn.close()
            self.statuses.append(status)
            if status in (200, 201):
                self.latencies.append(seconds)


def prepare() -> list[tuple[str, list[Invitation]]]:
    call_command("migrate", verbosity=0)
    common.sync_rules()
    now = dt.datetime.now(dt.UTC)
    weeks = ARGS.submits + 1
    patients = common.build_world(
        ARGS.patients,
        weeks,
        first_due=now - dt.timedelta(weeks=weeks),
        expires_after=dt.timedelta(weeks=weeks + 2),
        password=PASSWORD,
    )
    out = []
    for p in patients:
        invitations = list(Invitation.objects.filter(patient=p).order_by("due_at"))
        out.append((p.user.username, invitations))
    return out


def start_server(port: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        sys.exit("this benchmark needs gunicorn: python3 tools/make_venv.py install .venv gunicorn")
    command = [
        str(gunicorn),
        "coproduce.wsgi:application",
        "-w", str(ARGS.workers),
        "--threads", str(ARGS.threads),
        "-b", f"{HOST}:{port}",
        "--access-logfile", str(log),
        "--access-logformat", "%(m)s %(U)s %(s)s %(D)s",
        "--error-logfile", str(TMP / "error.log"),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=REPO, env=os.environ.copy(), start_new_session=True)
    for _ in range(300):  # up to 30 s
        if server.poll() is not None:
            sys.exit(f"gunicorn exited: {(TMP / 'error.log').read_text()[-2000:]}")
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=2)
            c.request("GET", "/login/")
            if c.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def server_times(log: Path, offset: int) -> list[float]:
    with log.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode().splitlines()
    return [
        int(parts[3]) / 1e6
        for parts in (line.split() for line in lines)
        if len(parts) == 4 and parts[0] == "POST" and parts[1] == "/api/v1/checkins/"
    ]


def measure(port: int, log: Path, people: list[tuple[str, list[Invitation]]]) -> None:
    patients = [Patient(port, username, invitations) for username, invitations in people]
    for p in patients:
        p.login()
    for p in patients:
        status, _ = p.submit(0)
        assert status == 201, f"warm-up submit: {status}"
    offset = log.stat().st_size
    gate = threading.Barrier(len(patients) + 1)
    deadline = [float("inf")]
    threads = [threading.Thread(target=p.run, args=(gate, deadline)) for p in patients]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + ARGS.max_seconds
    start = time.perf_counter()
    gate.wait()
    for t in threads:
        t.join(ARGS.max_seconds + 60)
    wall = time.perf_counter() - start
    for p in patients:
        p.conn.close()
    time.sleep(0.5)  # let the access log catch up

    latencies = [s for p in patients for s in p.latencies]
    statuses = [s for p in patients for s in p.statuses]
    server = server_times(log, offset)
    ok = len(latencies)
    print(
        f"\n{ARGS.patients} patients x {ARGS.submits} submits, think {ARGS.think:g} s, "
        f"gunicorn {ARGS.workers} workers x {ARGS.threads} threads, DB {ARGS.db}"
    )
    print(
        f"  {ok} of {len(statuses)} submits OK in {wall:.1f} s = {ok / wall:,.0f}/s; "
        f"other statuses: {sorted(set(statuses) - {200, 201}) or 'none'}"
    )
    print(
        f"  client latency ms: p50 {pct(latencies, 0.5) * 1000:.0f}  "
        f"p95 {pct(latencies, 0.95) * 1000:.0f}  p99 {pct(latencies, 0.99) * 1000:.0f}  "
        f"max {max(latencies) * 1000:.0f}  mean {statistics.mean(latencies) * 1000:.0f}"
    )
    if server:
        print(
            f"  server time ms (gunicorn %(D)s, {len(server)} requests): "
            f"p50 {pct(server, 0.5) * 1000:.0f}  p95 {pct(server, 0.95) * 1000:.0f}  "
            f"p99 {pct(server, 0.99) * 1000:.0f}"
        )
    stored = CheckinResponse.objects.count()
    print(f"  responses stored: {stored} (= {len(patients)} warm-up + {ok})")
    print(f"  {common.load()} at the end")
    print(f"  goal p95 <= 150 ms: client p95 {pct(latencies, 0.95) * 1000:.0f} ms")


def main() -> None:
    print(f"bench_submit_latency: {common.machine()}")
    url = os.environ["DATABASE_URL"]
    created = False
    server = None
    try:
        if ARGS.db == "postgres":
            common.create_database(url)
            created = True
        people = prepare()
        connections.close_all()  # the server must not share our connection (or SQLite lock)
        port = free_port()
        log = TMP / "access.log"
        server = start_server(port, log)
        measure(port, log, people)
    finally:
        if server is not None:
            stop_server(server)
        connections.close_all()
        if created:
            common.drop_database(url)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
