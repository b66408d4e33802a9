"""Randomisation speed under concurrency on PostgreSQL (issue "Embedded pragmatic research").

Creates its own database (refuses one that exists), migrates it, builds one study with
three arms (1:1:1, blocks of 3 or 6) at S sites and N consented, eligible participants
(consent rows written directly, without the PDF, which is not what is measured), then
randomises them all from T threads at once, each in its own transaction, through
`randomise` — the service the coordinator's page calls. Two runs: every participant in one
stratum (all threads queue on one counter row: the worst case) and spread over S strata.
It checks that nobody was allocated twice and no position was taken twice, then drops the
database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/research \\
        .venv/bin/python bench/bench_randomise.py [--participants 600] [--threads 8] [--sites 6]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time

import django
from bench_submit import create_database, drop_database, machine  # same folder
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from coproduce.people.models import (
    CareTeam,
    Network,
    Patient,
    Role,
    Site,
    User,
)
from coproduce.research.models import Arm, ConsentDocument, Signer, Study
from coproduce.research.participants import (
    Allocation,
    Consent,
    Participant,
    Status,
)
from coproduce.research.randomisation import randomise


def build(n: int, sites: int, slug: str, *, spread: bool) -> tuple[list[int], User]:
    network, _ = Network.objects.get_or_create(name="bench")
    study = Study.objects.create(
        slug=slug, title=slug, protocol_version="1", block_multipliers=[1, 2]
    )
    for code in ("cbt", "sm", "taper"):
        Arm.objects.create(study=study, code=code, name=code, ratio=1)
    doc = ConsentDocument.objects.create(
        study=study,
        signer=Signer.ADULT,
        version="1",
        approved_on=dt.date(2026, 1, 1),
        title="c",
        body="c",
        signed_off_at=timezone.now(),
    )
    teams = []
    for s in range(sites if spread else 1):
        site, _ = Site.objects.get_or_create(
            slug=f"bench-{s}", defaults={"network": network, "name": f"Bench {s}"}
        )
        study.sites.add(site)
        teams.append(CareTeam.objects.get_or_create(site=site, name="Pain")[0])
    coordinator, _ = User.objects.get_or_create(username="bench-coord", role=Role.COORDINATOR)
    now = timezone.now()
    ids = []
    for i in range(n):
        team = teams[i % len(teams)]
        patient = Patient.objects.create(
            care_team=team, given_name="P", family_name=str(i), date_of_birth=dt.date(1970, 1, 1)
        )
        p = Participant.objects.create(
            study=study,
            patient=patient,
            site=team.site,
            status=Status.CONSENTED,
            eligibility_confirmed_at=now,
            consented_at=now,
        )
        Consent.objects.create(
            participant=p,
            document=doc,
            signer=Signer.ADULT,
            typed_name="P",
            agreed=True,
            pdf=b"",
        )
        ids.append(p.pk)
    return ids, coordinator


def race(ids: list[int], threads: int, by: User) -> tuple[float, list[float]]:
    chunks = [ids[k::threads] for k in range(threads)]
    barrier = threading.Barrier(threads)
    latencies: list[float] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def work(chunk):
        try:
            barrier.wait()
            for pk in chunk:
                t0 = time.perf_counter()
                with transaction.atomic():
                    randomise(Participant.objects.get(pk=pk), by=by)
                with lock:
                    latencies.append(time.perf_counter() - t0)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if errors:
        sys.exit(f"errors while randomising: {errors[:3]}")
    return elapsed, latencies


def report(label: str, n: int, elapsed: float, latencies: list[float]) -> None:
    q = statistics.quantiles(latencies, n=100)
    print(
        f"| {label} | {n} | {n / elapsed:,.0f}/s | "
        f"{statistics.median(latencies) * 1000:.1f} / {q[94] * 1000:.1f} / "
        f"{max(latencies) * 1000:.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--sites", type=int, default=6)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("bench_randomise measures PostgreSQL: set DATABASE_URL=postgres://...")
    create_database(url)
    try:
        call_command("migrate", verbosity=0)
        print(machine())
        print(f"{args.threads} threads at once, {django.get_version()}")
        print("| strata | participants | allocations | latency p50 / p95 / max |")
        print("| --- | --- | --- | --- |")
        for spread in (False, True):
            slug = "spread" if spread else "one"
            ids, by = build(args.participants, args.sites, slug, spread=spread)
            elapsed, latencies = race(ids, args.threads, by)
            rows = Allocation.objects.filter(study__slug=slug)
            assert rows.count() == len(ids), "someone was not randomised"
            positions = set(rows.values_list("stratum", "position"))
            assert len(positions) == len(ids), "a position was taken twice"
            label = f"{args.sites} sites" if spread else "one (worst case)"
            report(label, len(ids), elapsed, latencies)
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
