"""Submit check-ins through the full service path on PostgreSQL, next to raw psycopg inserts.

Creates its own database (refuses to touch one that exists), migrates it, loads the shipped
safety-net rules, and builds one site with a nurse (so urgent alerts write outbox rows) and
N patients in the opioid-taper program, each with W weekly open invitations for PHQ-9 + PEG.
Then it submits every invitation, oldest week first so history builds up, through
`submit_checkin` each in its own `transaction.atomic()`, the way the API calls it. The first
week is an untimed warm-up followed by ANALYZE (a running clinic's tables have history and
statistics; tables that grow from empty inside the timed loop would be planned as empty). Answers
follow per-patient trajectories (some improve, some worsen); about 3 % have PHQ-9 item 9
above 0, about a quarter carry free text, and pain rises fire the baseline rule.

In the same run the rows the service wrote are replayed with raw psycopg, one transaction
per submission (INSERT ... RETURNING id for the response, `executemany` for its children,
then COMMIT), in two variants:

  core: the response and its score rows only (a stricter yardstick);
  all:  every row the service writes (the issue's "same rows"): response, scores, patient
        messages, alerts, outbox rows, audit events, and the invitation update and reminder
        clean-up.

Then it drops the database.

    .venv/bin/python bench/bench_submit.py [--patients 200] [--weeks 10] [--profile]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/bench_submit (loopback only).
--profile prints a pyinstrument profile of 200 extra submissions (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_submit"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
os.environ.setdefault("COPRODUCE_MODE", "test")
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)

import django  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

django.setup()

from common import load, machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from coproduce.audit.models import AuditEvent  # noqa: E402
from coproduce.checkins.models import (  # noqa: E402
    CheckinResponse,
    Enrollment,
    Invitation,
    InvitationStatus,
    Program,
    Schedule,
    ScheduleKind,
    Score,
)
from coproduce.checkins.services import submit_checkin  # noqa: E402
from coproduce.people.models import (  # noqa: E402
    CareTeam,
    CareTeamMembership,
    Network,
    Patient,
    Role,
    Site,
    User,
)
from coproduce.platform.models import Notification  # noqa: E402
from coproduce.safetynet.models import Alert, PatientMessage  # noqa: E402
from coproduce.safetynet.rules import sync_rules  # noqa: E402

PHQ_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # weights 0, 1, 2, 3
NOTES = [
    "Slept badly after the last dose step.",
    "Could you call me about the pharmacy? They did not have my tablets.",
    "Better week, walked every day.",
    "My back is worse since Tuesday and I am worried about the next step down.",
]
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Stockholm


# --- databases -------------------------------------------------------------------------


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        sys.exit(f"refusing {host!r}: the benchmark only talks to loopback addresses")


def _maintenance(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def create_database(url: str) -> None:
    """Create the bench database; refuse if it exists (never drop what we did not create)."""
    check_loopback(url)
    admin, name = _maintenance(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            sys.exit(f"database {name} exists; drop it yourself if it is a leftover bench DB")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    connections.close_all()
    admin, name = _maintenance(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --- the clinic and its patients -------------------------------------------------------


def build_world(
    n_patients: int,
    weeks: int,
    *,
    first_due: dt.datetime,
    expires_after: dt.timedelta,
    password: str | None = None,
    tag: str = "bench",
) -> list[Patient]:
    """One site and team with a nurse; patients in opioid-taper with `weeks` open invitations."""
    network, _ = Network.objects.get_or_create(name="Bench network")
    site = Site.objects.create(network=network, name=f"{tag} clinic", slug=f"{tag}-clinic")
    team = CareTeam.objects.create(site=site, name="Pain team")
    nurse = User.objects.create_user(
        username=f"{tag}-nurse", password=None, role=Role.NURSE, email="nurse@example.org"
    )
    CareTeamMembership.objects.create(user=nurse, care_team=team)
    program, _ = Program.objects.get_or_create(
        slug="opioid-taper", defaults={"name": "Opioid taper"}
    )
    schedule = Schedule.objects.create(
        program=program,
        name="Weekly",
        kind=ScheduleKind.WEEKLY,
        instruments=["phq9", "peg"],
        weekday=first_due.weekday(),
        reminder_days=[2, 4],
        expires_after_days=7,
    )
    patients = []
    for i in range(n_patients):
        user = User.objects.create_user(
            username=f"{tag}-p{i:04d}", password=password, role=Role.PATIENT
        )
        patients.append(
            Patient.objects.create(
                care_team=team,
                given_name="Bench",
                family_name=f"P{i:04d}",
                date_of_birth=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                user=user,
            )
        )
    Enrollment.objects.bulk_create(
        Enrollment(patient=p, program=program, started_on=first_due.date() - dt.timedelta(days=1))
        for p in patients
    )
    Invitation.objects.bulk_create(
        Invitation(
            patient=p,
            schedule=schedule,
            instruments=["phq9", "peg"],
            due_at=first_due + dt.timedelta(weeks=w),
            expires_at=first_due + dt.timedelta(weeks=w) + expires_after,
            reminder_days=[2, 4],
            status=InvitationStatus.SENT,
            sent_at=first_due + dt.timedelta(weeks=w),
        )
        for w in range(weeks)
        for p in patients
    )
    return patients


class Trajectory:
    """One patient's weekly answers: a starting level and a drift (improving or worsening)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        r = self.rng
        self.mood = r.uniform(0.3, 2.0)  # mean PHQ-9 item weight
        self.pain = r.uniform(3.0, 7.0)
        self.drift = r.choice([-0.25, -0.1, 0.0, 0.1, 0.3])  # PEG points per week
        self.mood_drift = self.drift / 8
        self.week = 0

    def next(self) -> tuple[dict[str, dict[str, Any]], str]:
        r, w = self.rng, self.week
        self.week += 1
        mood = max(0.0, self.mood + self.mood_drift * w)
        phq: dict[str, Any] = {}
        for n in range(1, 9):
            weight = min(3, max(0, round(r.gauss(mood, 0.6))))
            phq[f"phq9-{n}"] = PHQ_CODES[weight] if n % 2 else weight  # codes and weights
        phq["phq9-9"] = 1 if r.random() < 0.03 else 0
        pain = self.pain + self.drift * w
        peg = {f"peg-{n}": min(10, max(0, round(r.gauss(pain, 1.0)))) for n in (1, 2, 3)}
        note = r.choice(NOTES) if r.random() < 0.25 else ""
        return {"phq9": phq, "peg": peg}, note


def plan_answers(invitations: list[Invitation]) -> list[tuple[dict, str]]:
    """Answers for invitations in due order, each patient following their trajectory."""
    trajectories: dict[int, Trajectory] = {}
    out = []
    for inv in invitations:
        t = trajectories.setdefault(inv.patient_id, Trajectory(inv.patient_id))
        out.append(t.next())
    return out


# --- the service path ------------------------------------------------------------------


def submit_one(inv: Invitation, given: dict, note: str, prefix: str) -> None:
    """One submission as the API makes it: its own transaction, an hour after it was due."""
    with transaction.atomic():
        submit_checkin(
            invitation=inv,
            answers=given,
            free_text=note,
            idempotency_key=f"{prefix}:{inv.pk}",
            submitted_by=inv.patient.user,
            source="api",
            now=inv.due_at + dt.timedelta(hours=1),
        )


def submit_all(
    invitations: list[Invitation], answers: list[tuple[dict, str]], prefix: str
) -> float:
    start = time.perf_counter()
    for inv, (given, note) in zip(invitations, answers, strict=True):
        submit_one(inv, given, note, prefix)
    return time.perf_counter() - start


def probe(invitations: list[Invitation], answers: list[tuple[dict, str]]) -> dict[str, float]:
    """Queries per submission and the share of wall time spent waiting on the database."""
    counts: list[int] = []
    db = [0.0]
    n = [0]

    def wrapper(execute, sql_text, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            db[0] += time.perf_counter() - t
            n[0] += 1

    start = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        for inv, (given, note) in zip(invitations, answers, strict=True):
            before = n[0]
            submit_one(inv, given, note, "probe")
            counts.append(n[0] - before)
    wall = time.perf_counter() - start
    return {
        "queries_median": statistics.median(counts),
        "queries_max": max(counts),
        "db_share": db[0] / wall,
        "per_submit_ms": wall / len(invitations) * 1000,
        "db_ms": db[0] / len(invitations) * 1000,
    }


# --- the raw baseline ------------------------------------------------------------------


def _columns(model) -> tuple[list[str], set[str]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return [f.column for f in fields], {
        f.column for f in fields if f.get_internal_type() == "JSONField"
    }


class Table:
    """Rows of one model captured as tuples, and the raw INSERT that writes them back."""

    def __init__(self, model, *, link: str | None = None, returning: bool = False):
        self.name = model._meta.db_table
        self.columns, self.json = _columns(model)
        self.link = link  # the column that points at the parent's new id
        quoted = [f'"{c}"' for c in self.columns]  # "to" is a keyword
        select = ", ".join(
            f"{q}::text" if c in self.json else q for c, q in zip(self.columns, quoted, strict=True)
        )
        self.select = f"SELECT id, {select} FROM {self.name}"
        values = ", ".join("%s::jsonb" if c in self.json else "%s" for c in self.columns)
        self.insert = f"INSERT INTO {self.name} ({', '.join(quoted)}) VALUES ({values})"
        if returning:
            self.insert += " RETURNING id"

    def index(self, name: str) -> int:
        return self.columns.index(name)


def capture(conn, prefix: str) -> list[dict[str, Any]]:
    """Group what the service wrote for each submission (keys starting with `prefix`)."""
    resp, score, msg, alert, note, audit = (
        Table(CheckinResponse, returning=True),
        Table(Score, link="response_id"),
        Table(PatientMessage, link="response_id"),
        Table(Alert, link="response_id", returning=True),
        Table(Notification),
        Table(AuditEvent),
    )
    rows = conn.execute(
        resp.select + " WHERE idempotency_key LIKE %s ORDER BY id", [prefix + ":%"]
    ).fetchall()
    subs = {r[0]: {"response": r[1:], "scores": [], "messages": [], "alerts": []} for r in rows}
    ids = list(subs)
    for table, key in ((score, "scores"), (msg, "messages")):
        at = table.index("response_id")
        for r in conn.execute(table.select + " WHERE response_id = ANY(%s) ORDER BY id", [ids]):
            subs[r[1 + at]][key].append(r[1:])
    alert_of: dict[int, int] = {}
    at = alert.index("response_id")
    for r in conn.execute(alert.select + " WHERE response_id = ANY(%s) ORDER BY id", [ids]):
        subs[r[1 + at]]["alerts"].append({"row": r[1:], "id": r[0], "notes": [], "audit": []})
        alert_of[r[0]] = r[1 + at]
    dk = note.index("dedupe_key")
    by_key: dict[tuple[int, str], list] = defaultdict(list)
    for r in conn.execute(note.select + " WHERE purpose = 'alert' ORDER BY id"):
        _, rid, rule = r[1 + dk].split(":")[:3]  # alert:r<response>:<rule>:u<user>
        by_key[(int(rid[1:]), rule)].append(r[1:])
    ev, oid = audit.index("event"), audit.index("object_id")
    for r in conn.execute(audit.select + " ORDER BY id"):
        event, object_id = r[1 + ev], r[1 + oid]
        if event == "checkin.submitted" and int(object_id) in subs:
            subs[int(object_id)]["audit"] = r[1:]
        elif event == "alert.raised" and int(object_id) in alert_of:
            rid = alert_of[int(object_id)]
            for a in subs[rid]["alerts"]:
                if a["id"] == int(object_id):
                    a["audit"].append(r[1:])
    rule_at = alert.index("rule_id")
    for rid, sub in subs.items():
        for a in sub["alerts"]:
            a["notes"] = by_key.get((rid, a["row"][rule_at]), [])
    inv_at = resp.index("invitation_id")
    for sub in subs.values():
        sub["invitation_id"] = sub["response"][inv_at]
    return list(subs.values())


def delete_written(conn, subs: list[dict[str, Any]], prefix: str) -> None:
    """Remove the rows written for these submissions (not the append-only audit rows)."""
    with conn.transaction():
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM checkins_checkinresponse WHERE idempotency_key LIKE %s",
                [prefix + ":%"],
            )
        ]
        conn.execute(
            "DELETE FROM safetynet_notification WHERE purpose = 'alert' AND dedupe_key LIKE "
            "ANY(%s)",
            [[f"alert:r{i}:%" for i in ids]],
        )
        conn.execute("DELETE FROM safetynet_alert WHERE response_id = ANY(%s)", [ids])
        conn.execute("DELETE FROM safetynet_patientmessage WHERE response_id = ANY(%s)", [ids])
        conn.execute("DELETE FROM checkins_score WHERE response_id = ANY(%s)", [ids])
        conn.execute("DELETE FROM checkins_checkinresponse WHERE id = ANY(%s)", [ids])
    conn.commit()
    with psycopg.connect(conn.info.dsn, autocommit=True) as maintenance:
        maintenance.execute("VACUUM ANALYZE")


def _relink(row: tuple, table: Table, parent_id: int) -> tuple:
    at = table.index(table.link)  # type: ignore[arg-type]
    return (*row[:at], parent_id, *row[at + 1 :])


def replay(conn, subs: list[dict[str, Any]], *, everything: bool) -> tuple[float, int]:
    """Insert the captured rows again, one transaction per submission; return (s, rows)."""
    resp, score, msg, alert, note, audit = (
        Table(CheckinResponse, returning=True),
        Table(Score, link="response_id"),
        Table(PatientMessage, link="response_id"),
        Table(Alert, link="response_id", returning=True),
        Table(Notification),
        Table(AuditEvent),
    )
    oid = audit.index("object_id")
    rows = 0
    start = time.perf_counter()
    for sub in subs:
        with conn.cursor() as cur:
            cur.execute(resp.insert, sub["response"])
            rid = cur.fetchone()[0]
            cur.executemany(score.insert, [_relink(r, score, rid) for r in sub["scores"]])
            rows += 1 + len(sub["scores"])
            if everything:
                if sub["messages"]:
                    cur.executemany(msg.insert, [_relink(r, msg, rid) for r in sub["messages"]])
                for a in sub["alerts"]:
                    cur.execute(alert.insert, _relink(a["row"], alert, rid))
                    aid = cur.fetchone()[0]
                    for r in a["audit"]:
                        cur.execute(audit.insert, (*r[:oid], str(aid), *r[oid + 1 :]))
                    if a["notes"]:
                        cur.executemany(note.insert, a["notes"])
                    rows += 1 + len(a["audit"]) + len(a["notes"])
                cur.execute(
                    "UPDATE checkins_invitation SET status = 'completed', completed_at = now(), "
                    "token_used_at = now(), next_reminder_at = NULL, draft = '{}'::jsonb "
                    "WHERE id = %s",
                    [sub["invitation_id"]],
                )
                cur.execute(
                    "DELETE FROM safetynet_notification WHERE dedupe_key LIKE %s "
                    "AND status = 'pending'",
                    [f"reminder:{sub['invitation_id']}:%"],
                )
                r = sub["audit"]
                cur.execute(audit.insert, (*r[:oid], str(rid), *r[oid + 1 :]))
                rows += len(sub["messages"]) + 1
        conn.commit()
    return time.perf_counter() - start, rows


# --- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="pyinstrument, 200 submissions")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("bench_submit measures PostgreSQL: set DATABASE_URL=postgres://...")
    create_database(url)
    try:
        run(url, args)
    finally:
        drop_database(url)


def _counts() -> dict[str, int]:
    return {
        "responses": CheckinResponse.objects.count(),
        "scores": Score.objects.count(),
        "messages": PatientMessage.objects.count(),
        "alerts": Alert.objects.count(),
        "outbox": Notification.objects.count(),
        "audit": AuditEvent.objects.filter(event__in=["checkin.submitted", "alert.raised"]).count(),
    }


def run(url: str, args: argparse.Namespace) -> None:
    call_command("migrate", verbosity=0)
    loaded = sync_rules()
    # One untimed warm-up week first: the tables then hold history, and ANALYZE gives the
    # planner the statistics a running clinic's database has (a table that grows from empty
    # inside the timed loop would be planned as empty). The last week feeds the probe.
    weeks = args.weeks + 2
    patients = build_world(
        args.patients, weeks, first_due=START, expires_after=dt.timedelta(days=7)
    )
    invitations = list(
        Invitation.objects.filter(patient__in=patients)
        .select_related("patient__user")
        .order_by("due_at", "pk")
    )
    answers = plan_answers(invitations)
    warm, timed = len(patients), len(invitations) - 2 * len(patients)
    submit_all(invitations[:warm], answers[:warm], "warm")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    n_rules = len(loaded.created) + len(loaded.unchanged)
    print(f"bench_submit: {machine()}")
    print(f"PostgreSQL {connection.pg_version // 10000}, {n_rules} rules loaded; ", end="")
    print(
        f"{args.patients} patients x {args.weeks} weekly check-ins = {timed} submissions "
        "(after one untimed warm-up week)"
    )

    before = _counts()
    invitations, answers = invitations[warm:], answers[warm:]
    elapsed = submit_all(invitations[:timed], answers[:timed], "bench")
    per_s = timed / elapsed
    counts = {k: v - before[k] for k, v in _counts().items()}
    crisis = PatientMessage.objects.filter(
        crisis=True, response__idempotency_key__startswith="bench:"
    ).count()
    print(
        f"\nservice path: {timed} submissions in {elapsed:.2f} s = {per_s:,.0f}/s "
        f"({elapsed / timed * 1000:.2f} ms each)"
    )
    print("  rows written: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(
        f"  crisis messages {crisis}; rows per submission "
        f"{sum(counts.values()) / timed:.2f} (+ invitation update)"
    )

    tail, tail_answers = invitations[timed:], answers[timed:]
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        submit_all(tail, tail_answers, "probe")
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        p = probe(tail, tail_answers)
        print(
            f"  probe ({len(tail)} more): {p['queries_median']:.0f} queries per submission "
            f"(max {p['queries_max']}), {p['db_ms']:.2f} of {p['per_submit_ms']:.2f} ms "
            f"waiting on the database ({p['db_share']:.0%})"
        )

    connections.close_all()
    with psycopg.connect(url) as conn:
        subs = capture(conn, "bench")
        assert len(subs) == timed, (len(subs), timed)
        results = {}
        for variant, everything in (("core", False), ("all", True)):
            delete_written(conn, subs, "bench")
            conn.commit()
            seconds, rows = replay(conn, subs, everything=everything)
            results[variant] = (seconds, rows)
    print(
        "\nraw psycopg, one transaction per submission (INSERT ... RETURNING id, "
        "executemany for child rows, COMMIT):"
    )
    for variant, (seconds, rows) in results.items():
        what = "response + scores" if variant == "core" else "every row the service writes"
        raw_per_s = timed / seconds
        print(
            f"  {variant:4} ({what}): {rows} rows in {seconds:.2f} s = {rows / seconds:,.0f} "
            f"rows/s, {raw_per_s:,.0f} submissions/s; service = {per_s / raw_per_s:.0%} of raw"
        )
    print(f"\n{load()} at the end")
    same = per_s / (timed / results["all"][0])
    core = per_s / (timed / results["core"][0])
    met = "met" if per_s >= 300 and same >= 0.4 else "NOT met"
    print(
        f"goal >= 300/s and >= 40 % of raw inserts of the same rows: {met} -> {per_s:,.0f}/s, "
        f"{same:.0%} of raw (every row); {core:.0%} of raw response + scores alone"
    )


if __name__ == "__main__":
    main()
