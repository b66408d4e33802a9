"""Render the shared dashboard for a patient with ten years of weekly check-ins.

Creates (inside a transaction that is rolled back at the end, so the database is left as it
was) a patient with 520 weekly responses scored for PHQ-9, PEG and GAD-7, a visit every
quarter and a pre-visit concern; then renders /patients/<id>/dashboard/ through Django's test
client N times as a clinician of the patient's team. Reports p50/p95 of the server time, the
time the database spent on the queries of the same requests, and the ratio; then replays the
same SQL statements raw through a cursor (no ORM, no Python work) for the floor.

    COPRODUCE_MODE=test .venv/bin/python bench/bench_dashboard.py [N]
    DATABASE_URL=postgres://... COPRODUCE_MODE=test .venv/bin/python bench/bench_dashboard.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
os.environ.setdefault("COPRODUCE_MODE", "test")

import django

django.setup()

from common import machine, pct  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from coproduce.checkins.models import CheckinResponse, Score  # noqa: E402
from coproduce.people.models import (  # noqa: E402
    CareTeam,
    CareTeamMembership,
    Network,
    Patient,
    Role,
    Site,
    User,
)
from coproduce.visits.models import Appointment  # noqa: E402

WEEKS = 520


class Rollback(Exception):
    pass


def build() -> tuple[Patient, User]:
    tag = uuid.uuid4().hex[:8]
    network, _ = Network.objects.get_or_create(name="Bench network")
    site = Site.objects.create(network=network, name=f"Bench {tag}", slug=f"bench-{tag}")
    team = CareTeam.objects.create(site=site, name="Pain team")
    clinician = User.objects.create_user(
        username=f"bench-{tag}", password=uuid.uuid4().hex, role=Role.CLINICIAN
    )
    CareTeamMembership.objects.create(user=clinician, care_team=team)
    patient = Patient.objects.create(
        care_team=team, given_name="Bench", family_name=tag, date_of_birth=dt.date(1970, 1, 1)
    )
    now = timezone.now()
    responses = [
        CheckinResponse(
            patient=patient,
            answers={"phq9": {}, "peg": {}, "gad7": {}},
            versions={"phq9": "1.0", "peg": "1.0", "gad7": "1.0"},
            idempotency_key=f"bench-{tag}-{w}",
            submitted_at=now - dt.timedelta(weeks=WEEKS - w),
        )
        for w in range(WEEKS)
    ]
    CheckinResponse.objects.bulk_create(responses, batch_size=1000)
    responses = list(patient.checkin_responses.order_by("submitted_at"))
    scores = []
    for w, r in enumerate(responses):
        for iid, value in (("phq9", w % 28), ("peg", (w % 11) * 0.9), ("gad7", w % 22)):
            scores.append(
                Score(
                    response=r,
                    patient=patient,
                    instrument_id=iid,
                    version="1.0",
                    score=value,
                    item_values={},
                    at=r.submitted_at,
                )
            )
    Score.objects.bulk_create(scores, batch_size=1000)
    Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            care_team=team,
            starts_at=now - dt.timedelta(weeks=w),
            status="attended",
        )
        for w in range(6, WEEKS, 13)
    )
    CheckinResponse.objects.create(
        patient=patient,
        answers={"previsit": {"previsit-concern": "Sleep", "previsit-partner": "together"}},
        versions={"previsit": "1.0"},
        idempotency_key=f"bench-{tag}-previsit",
    )
    return patient, clinician


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    totals: list[float] = []
    sql: list[float] = []
    statements: list[tuple[str, tuple]] = []
    reads: list[tuple[str, tuple]] = []
    per_statement: list[float] = []
    try:
        with transaction.atomic():
            patient, clinician = build()
            client = Client()
            client.force_login(clinician)
            url = f"/patients/{patient.registry_id}/dashboard/"
            for _ in range(3):  # warm caches: instrument library, templates
                assert client.get(url).status_code == 200
            spent = [0.0]
            seen: list[tuple[str, tuple]] = []

            def timer(execute, sql_text, params, many, context):
                start = time.perf_counter()
                try:
                    return execute(sql_text, params, many, context)
                finally:
                    spent[0] += time.perf_counter() - start
                    seen.append((sql_text, params))

            for i in range(n):
                spent[0] = 0.0
                seen.clear()
                with connection.execute_wrapper(timer):
                    start = time.perf_counter()
                    response = client.get(url)
                    totals.append(time.perf_counter() - start)
                assert response.status_code == 200
                sql.append(spent[0])
                if i == 0:
                    statements = list(seen)
            reads = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
            raw: list[float] = []
            per_statement = [0.0] * len(reads)
            with connection.cursor() as cursor:
                for _ in range(n):
                    total = 0.0
                    for k, (s, p) in enumerate(reads):
                        start = time.perf_counter()
                        cursor.execute(s, p)
                        cursor.fetchall()
                        took = time.perf_counter() - start
                        per_statement[k] += took
                        total += took
                    raw.append(total)
            raise Rollback
    except Rollback:
        pass

    ms = 1000
    p50, p95 = pct(totals, 0.5) * ms, pct(totals, 0.95) * ms
    s50, s95 = pct(sql, 0.5) * ms, pct(sql, 0.95) * ms
    r50 = statistics.median(raw) * ms
    db_version = (
        connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else str(getattr(connection, "pg_version", ""))
    )
    print(f"database: {connection.vendor} {db_version}")
    print(f"machine: {machine()}")
    print(f"history: {WEEKS} weeks x 3 instruments = {WEEKS * 3} scores; {n} renders")
    print(f"queries per render: {len(statements)} ({len(reads)} reads)")
    print(f"server time      p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    print(f"raw reads        p50 {r50:7.2f} ms   (the same SELECTs + fetchall via a cursor)")
    print(f"SQL in requests  p50 {s50:7.2f} ms   p95 {s95:7.2f} ms   (execute only)")
    print(f"ratio at p50: server / raw reads {p50 / r50:.1f}x")
    slowest = sorted(zip(per_statement, reads, strict=True), reverse=True)[:3]
    for spent_s, (statement, _) in slowest:
        print(f"  {spent_s / n * ms:6.2f} ms  {statement[:90]}")
    print(f"goal p95 <= 100 ms: {'met' if p95 <= 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
