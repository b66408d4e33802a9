"""Registry at network size: one measure's monthly SPC for all sites, and a population list.

Expects a database already migrated and filled by `coproduce registry-synth` (see below).
Times, each next to the raw-SQL lower bound measured in the same run:

1. network SPC, live: the checkin-completion measure's 24 monthly cells per site computed
   from the invitations table, then every site's P′ chart and the network's (the whole
   page's data, without HTML); floor: the same GROUP BY executed raw through a cursor.
2. network SPC from the roll-ups (after `refresh_rollups`); floor: the raw roll-up SELECT.
3. a care team's population list (one nurse, one team of ~N/sites patients), the full HTTP
   page through Django's test client; floor: the list's single SQL statement executed raw.

    psql -h 127.0.0.1 -U postgres -c 'create database bench_registry'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_registry COPRODUCE_MODE=test
    .venv/bin/coproduce migrate
    .venv/bin/coproduce registry-synth --sites 100 --patients 20000 --weeks 104
    .venv/bin/python bench/bench_registry.py
    psql -h 127.0.0.1 -U postgres -c 'drop database bench_registry'
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
os.environ.setdefault("COPRODUCE_MODE", "test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from coproduce.checkins.models import Invitation  # noqa: E402
from coproduce.people.models import CareTeam, CareTeamMembership, Patient, Role, User  # noqa: E402
from coproduce.registry.measures import MEASURES  # noqa: E402
from coproduce.registry.models import MeasureMonth, RollupCoverage  # noqa: E402
from coproduce.registry.population import population_rows  # noqa: E402
from coproduce.registry.rollups import refresh_rollups  # noqa: E402
from coproduce.registry.services import measure_view, window  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
MEASURE = MEASURES["checkin-completion"]


def timed(fn, runs: int = RUNS) -> float:
    """Median wall time of `fn` in seconds over `runs` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def raw(sql: str, params, *, jit: bool = True) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if not jit:  # as population_for runs it (see there why)
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        cursor.fetchall()


def live_sql() -> tuple[str, list]:
    """The checkin-completion GROUP BY exactly as the ORM sends it."""
    from coproduce.registry import measures

    _, start, end = window(24)
    captured = {}
    original = measures._cells

    def capture(rows, site, month):
        captured["sql"], captured["params"] = rows.query.sql_with_params()
        return original(rows, site, month)

    measures._cells = capture
    try:
        measures.checkin_completion(start, end)
    finally:
        measures._cells = original
    return captured["sql"], list(captured["params"])


def nurse_for(team: CareTeam) -> User:
    user, created = User.objects.get_or_create(
        username="bench-registry-nurse", defaults={"role": Role.NURSE}
    )
    if created:
        user.set_password("bench")
        user.save()
    CareTeamMembership.objects.get_or_create(user=user, care_team=team)
    return user


def main() -> None:
    patients = Patient.objects.count()
    invitations = Invitation.objects.count()
    teams = CareTeam.objects.count()
    print(
        f"{connection.vendor}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, Django {django.get_version()}"
    )
    print(f"registry: {teams} teams, {patients} patients, {invitations} invitations")

    RollupCoverage.objects.filter(measure_id=MEASURE.id).delete()  # force live first
    sql, params = live_sql()
    live = timed(lambda: measure_view(MEASURE))
    floor = timed(lambda: raw(sql, params))
    print(
        f"network SPC, live SQL:    {live * 1000:8.1f} ms   raw SQL floor {floor * 1000:8.1f} ms"
        f"   ratio {live / floor:5.2f}"
    )

    began = time.perf_counter()
    rows = refresh_rollups(window(24)[1].date(), measure_ids=[MEASURE.id])
    print(
        f"refresh_rollups({MEASURE.id}, 24 months): {rows} rows in "
        f"{time.perf_counter() - began:.2f} s"
    )
    _, start, end = window(24)
    rolled_sql, rolled_params = (
        MeasureMonth.objects.filter(
            measure_id=MEASURE.id, month__gte=start.date(), month__lt=end.date()
        )
        .values_list("site_id", "month", "numerator", "denominator", "value")
        .query.sql_with_params()
    )
    rolled = timed(lambda: measure_view(MEASURE))
    assert measure_view(MEASURE).coverage is not None
    rfloor = timed(lambda: raw(rolled_sql, rolled_params))
    print(
        f"network SPC, roll-ups:    {rolled * 1000:8.1f} ms   raw SQL floor {rfloor * 1000:8.1f} ms"
        f"   ratio {rolled / rfloor:5.2f}"
    )

    team = CareTeam.objects.order_by("pk").first()
    nurse = nurse_for(team)
    size = Patient.objects.filter(care_team=team).count()
    client = Client()
    client.force_login(nurse)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    page = timed(lambda: client.get("/registry/population/"))
    flagged = len(client.get("/registry/population/").content.split(b"<tr>")) - 2
    list_sql, list_params = population_rows(nurse).query.sql_with_params()
    lfloor = timed(lambda: raw(list_sql, list_params, jit=False))
    print(
        f"population list ({size} patients, {flagged} flagged), HTTP page: {page * 1000:8.1f} ms"
        f"   raw SQL floor {lfloor * 1000:8.1f} ms   ratio {page / lfloor:5.2f}"
    )
    print("goals: network SPC <= 2000 ms, list <= 200 ms")


if __name__ == "__main__":
    main()
