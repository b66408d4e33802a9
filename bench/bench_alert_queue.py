"""Render the alert queue of a nurse whose team has 2,000 open alerts.

Creates (inside a transaction that is rolled back at the end, so the database is left as it
was) one care team with 1,400 patients: 600 check-ins that raised two alerts each (routine
and soon), 700 that raised one, and 100 alerts raised without a check-in (silence, medicine
list) — 2,000 open alerts, 1,400 queue items. Then renders /alerts/ (first page, and
filtered: routine, over a week old, "bloggs") through Django's test client N times as the
team's nurse. Reports p50/p95 of the server time and the number of queries per render.

    COPRODUCE_MODE=test .venv/bin/python bench/bench_alert_queue.py [N]
    DATABASE_URL=postgres://... COPRODUCE_MODE=test .venv/bin/python bench/bench_alert_queue.py
"""

from __future__ import annotations

import datetime as dt
import os
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
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from coproduce.checkins.models import CheckinResponse  # noqa: E402
from coproduce.people.models import (  # noqa: E402
    CareTeam,
    CareTeamMembership,
    Network,
    Patient,
    Role,
    Site,
    User,
)
from coproduce.platform import clock  # noqa: E402
from coproduce.platform.models import Priority  # noqa: E402
from coproduce.safetynet.alerts import plan_alert  # noqa: E402
from coproduce.safetynet.models import Alert  # noqa: E402

PAIRS, SINGLES, WITHOUT_CHECKIN = 600, 700, 100


class Rollback(Exception):
    pass


def build() -> User:
    tag = uuid.uuid4().hex[:8]
    network, _ = Network.objects.get_or_create(name="Bench network")
    site = Site.objects.create(
        network=network, name=f"Bench {tag}", slug=f"bench-{tag}", urgent_email="oncall@x.org"
    )
    team = CareTeam.objects.create(site=site, name="Pain team")
    nurse = User.objects.create_user(
        username=f"bench-{tag}", password=uuid.uuid4().hex, role=Role.NURSE
    )
    CareTeamMembership.objects.create(user=nurse, care_team=team)
    n_patients = PAIRS + SINGLES + WITHOUT_CHECKIN
    Patient.objects.bulk_create(
        Patient(
            care_team=team,
            given_name=f"P{i}",
            family_name="Bloggs" if i % 10 == 0 else f"Family{i}",
            date_of_birth=dt.date(1970, 1, 1),
        )
        for i in range(n_patients)
    )
    patients = list(Patient.objects.filter(care_team=team).order_by("pk"))
    now = clock.now()
    with_checkin = patients[: PAIRS + SINGLES]
    CheckinResponse.objects.bulk_create(
        (
            CheckinResponse(
                patient=p,
                answers={},
                versions={},
                idempotency_key=f"bench-{tag}-{p.pk}",
                submitted_at=now - dt.timedelta(hours=i % 400),
            )
            for i, p in enumerate(with_checkin)
        ),
        batch_size=1000,
    )
    responses = {r.patient_id: r for r in CheckinResponse.objects.filter(patient__care_team=team)}
    alerts = []
    for i, p in enumerate(patients):
        at = now - dt.timedelta(hours=i % 400)
        response = responses.get(p.pk)
        rules = [("free-text", Priority.ROUTINE)]
        if i < PAIRS:
            rules.append(("pain-up-major", Priority.SOON))
        for rule_id, priority in rules:
            alert = plan_alert(
                patient=p,
                response=response,
                rule_id=rule_id,
                priority=priority,
                reason=f"Bench reason {rule_id}",
                now=at,
            ).alert
            alerts.append(alert)
    Alert.objects.bulk_create(alerts, batch_size=1000)
    assert Alert.objects.filter(care_team=team).count() == 2000
    return nurse


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    call_command("migrate", verbosity=0)
    setup_test_environment()  # the test client then keeps each response's template context
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    urls = {
        "first page": "/alerts/",
        "filtered": "/alerts/?priority=3&age=older&patient=bloggs",
        "page 20": "/alerts/?page=20",
    }
    results: dict[str, tuple[list[float], int, int]] = {}
    try:
        with transaction.atomic():
            nurse = build()
            client = Client()
            client.force_login(nurse)
            for _ in range(3):  # warm caches: templates, session
                assert client.get("/alerts/").status_code == 200
            for name, url in urls.items():
                times = []
                for _ in range(n):
                    with CaptureQueriesContext(connection) as queries:
                        start = time.perf_counter()
                        response = client.get(url)
                        times.append(time.perf_counter() - start)
                    assert response.status_code == 200
                items = len(response.context["items"])
                results[name] = (times, len(queries), items)
            raise Rollback
    except Rollback:
        pass

    ms = 1000
    db_version = (
        connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else str(getattr(connection, "pg_version", ""))
    )
    print(f"database: {connection.vendor} {db_version}")
    print(f"open alerts: 2000 in {PAIRS + SINGLES + WITHOUT_CHECKIN} queue items; {n} renders each")
    for name, (times, queries, items) in results.items():
        p50, p95 = pct(times, 0.5) * ms, pct(times, 0.95) * ms
        print(
            f"{name:11} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   "
            f"{queries} queries, {items} items shown"
        )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
