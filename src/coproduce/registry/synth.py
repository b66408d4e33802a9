"""A synthetic registry for benchmarks and demos: sites, patients, two years of check-ins.

Rows are generated in Python and written in bulk: PostgreSQL COPY (psycopg's
`cursor.copy`) when the database is PostgreSQL, else `bulk_create` in batches. Primary keys
are allocated here so that responses and scores can point at rows not yet written; the
sequences are moved past them at the end. Everything is invented; no real person's data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Model

from coproduce.careplans.models import Medication
from coproduce.checkins.models import CheckinResponse, Enrollment, Invitation, Program, Score
from coproduce.people.models import CareTeam, Network, Patient, PatientCondition, Site
from coproduce.people.services import site_to_set_up
from coproduce.platform import clock
from coproduce.safetynet.models import Alert

NETWORK_NAME = "Synthetic registry"
BATCH_ROWS = 200_000


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} has no database column")
    return column


class Sink:
    """Buffers rows per model and writes them in bulk, parents before children."""

    def __init__(self, models: list[type[Model]], columns: dict[type[Model], list[str]]):
        self.models = models
        self.columns = columns
        self.rows: dict[type[Model], list[tuple]] = {m: [] for m in models}
        self.constants: dict[type[Model], tuple[list[str], tuple]] = {}
        self.postgres = connection.vendor == "postgresql"
        self.next_id = {
            m: (m._default_manager.aggregate(n=Max("pk"))["n"] or 0) + 1 for m in models
        }
        for model in models:
            given = set(columns[model]) | {"id"}
            names, values = [], []
            for f in model._meta.concrete_fields:
                if f.attname in given or f.null:
                    continue
                value = f.get_default()
                if value is None:  # required without a default: an empty value of its kind
                    value = {} if f.get_internal_type() == "JSONField" else ""
                if self.postgres and isinstance(value, (dict, list)):
                    value = json.dumps(value)
                names.append(f.attname)
                values.append(value)
            self.constants[model] = (names, tuple(values))

    def new_id(self, model: type[Model]) -> int:
        n = self.next_id[model]
        self.next_id[model] = n + 1
        return n

    def add(self, model: type[Model], row: tuple) -> None:
        self.rows[model].append(row)

    @property
    def pending(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def flush(self) -> None:
        with transaction.atomic():
            if self.postgres:
                with connection.cursor() as cursor:
                    # The rows are generated consistent; checking each foreign key row by
                    # row at commit would dominate the load time.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    if _superuser(cursor):
                        cursor.execute("SET LOCAL session_replication_role = replica")
            for model in self.models:
                rows = self.rows[model]
                if rows:
                    self._write(model, rows)
                self.rows[model] = []

    def _write(self, model: type[Model], rows: list[tuple]) -> None:
        const_names, const_values = self.constants[model]
        names = ["id", *self.columns[model], *const_names]
        if self.postgres:
            cols = ", ".join(connection.ops.quote_name(_column(model, n)) for n in names)
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + const_values)
        else:
            objs = [model(**dict(zip(names, row + const_values, strict=True))) for row in rows]
            model._default_manager.bulk_create(objs, batch_size=2000)

    def finish(self) -> None:
        """Move id sequences past the copied rows and refresh the planner's statistics."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model in self.models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            for model in self.models:
                table = model._meta.db_table
                quoted = connection.ops.quote_name(table)
                sql = f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {quoted}))"  # noqa: E501, S608
                cursor.execute(sql, [table])


def _superuser(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0])


@dataclass
class SynthResult:
    sites: int
    patients: int
    invitations: int
    responses: int
    scores: int
    alerts: int


COLUMNS: dict[type[Model], list[str]] = {
    Patient: ["registry_id", "given_name", "family_name", "date_of_birth", "care_team_id"],
    PatientCondition: ["patient_id", "condition"],
    Enrollment: ["patient_id", "program_id", "started_on"],
    Medication: ["patient_id", "drug", "strength", "unit", "per_day", "started_on"],
    Invitation: ["patient_id", "due_at", "expires_at", "status", "completed_at", "created_at"],
    CheckinResponse: ["patient_id", "invitation_id", "idempotency_key", "submitted_at"],
    Score: ["response_id", "patient_id", "instrument_id", "version", "score", "band", "at"],
    Alert: [
        "patient_id",
        "care_team_id",
        "response_id",
        "rule_id",
        "priority",
        "reason",
        "status",
        "created_at",
        "ack_due_at",
        "acknowledged_at",
    ],
}

GIVEN = ("Alex", "Sam", "Robin", "Kim", "Noa", "Lee", "Maj", "Eli", "Ari", "Tove", "Jo", "Ida")
FAMILY = ("Berg", "Lund", "Holm", "Ek", "Nyström", "Dahl", "Sand", "Falk", "Ström", "Vik")


def _phq9_band(score: int) -> str:
    for limit, band in ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately-severe")):
        if score <= limit:
            return band
    return "severe"


def generate(
    *,
    sites: int,
    patients: int,
    weeks: int,
    seed: int = 1,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SynthResult:
    """Write a synthetic registry; `progress(n)` is called as patients are finished."""
    if Network.objects.filter(name=NETWORK_NAME).exists():
        raise ValueError(f"a network named {NETWORK_NAME!r} exists already; use a fresh database")
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
    now = now or clock.now()
    start = now - dt.timedelta(weeks=weeks)
    with transaction.atomic():
        net = Network.objects.create(name=NETWORK_NAME)
        site_rows = Site.objects.bulk_create(
            [
                site_to_set_up(
                    network=net,
                    name=f"Site {i:03d}",
                    slug=f"synth-{i:03d}",
                    urgent_email=f"on-call@synth-{i:03d}.example.org",
                )
                for i in range(sites)
            ]
        )
        if not site_rows[0].pk:  # backends that do not return ids from bulk_create
            site_rows = list(Site.objects.filter(network=net).order_by("name"))
        CareTeam.objects.bulk_create([CareTeam(site=s, name="Care team") for s in site_rows])
        teams = list(CareTeam.objects.filter(site__network=net).order_by("site__name"))
        program, _ = Program.objects.get_or_create(
            slug="synthetic-weekly", defaults={"name": "Weekly check-in (synthetic)"}
        )
    # Each site has its own completion rate; half test a change that lifts it part-way.
    site_rate = [rng.uniform(0.55, 0.9) for _ in teams]
    site_change = [
        rng.randint(weeks // 3, 2 * weeks // 3) if rng.random() < 0.5 else None for _ in teams
    ]
    site_ack = [rng.uniform(0.6, 0.97) for _ in teams]

    sink = Sink(list(COLUMNS), COLUMNS)
    counts = {"inv": 0, "resp": 0, "score": 0, "alert": 0}
    done_since = 0
    for i in range(patients):
        t = i % len(teams)
        team = teams[t]
        pid = sink.new_id(Patient)
        sink.add(
            Patient,
            (
                pid,
                f"SY-{pid:08d}",
                rng.choice(GIVEN),
                rng.choice(FAMILY),
                dt.date(1940 + rng.randrange(65), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                team.pk,
            ),
        )
        sink.add(PatientCondition, (sink.new_id(PatientCondition), pid, "chronic_pain"))
        first_week = 0 if rng.random() < 0.6 else rng.randrange(max(1, weeks - 8))
        sink.add(
            Enrollment,
            (
                sink.new_id(Enrollment),
                pid,
                program.pk,
                (start + dt.timedelta(weeks=first_week)).date(),
            ),
        )
        if rng.random() < 0.12:
            sink.add(
                Medication,
                (
                    sink.new_id(Medication),
                    pid,
                    "morphine",
                    rng.choice((30, 40, 60)),
                    "mg",
                    rng.choice((1, 2, 3)),
                    (start + dt.timedelta(weeks=first_week)).date(),
                ),
            )
        phq = rng.randint(2, 18)
        peg = rng.uniform(2, 8)
        quits = rng.random() < 0.1  # some stop checking in: overdue on the population list
        last_week = weeks - rng.randint(4, 20) if quits else weeks
        hour = dt.timedelta(hours=rng.randint(7, 19))
        for w in range(first_week, last_week):
            due = start + dt.timedelta(weeks=w) + hour
            if due > now:
                break
            change = site_change[t]
            rate = site_rate[t] + (0.08 if change is not None and w >= change else 0)
            inv_id = sink.new_id(Invitation)
            counts["inv"] += 1
            if due + dt.timedelta(days=7) > now:
                sink.add(
                    Invitation, (inv_id, pid, due, due + dt.timedelta(days=7), "sent", None, due)
                )
                continue
            if rng.random() >= rate:
                sink.add(
                    Invitation, (inv_id, pid, due, due + dt.timedelta(days=7), "expired", None, due)
                )
                continue
            at = due + dt.timedelta(minutes=rng.randint(5, 2880))
            sink.add(
                Invitation, (inv_id, pid, due, due + dt.timedelta(days=7), "completed", at, due)
            )
            resp_id = sink.new_id(CheckinResponse)
            sink.add(CheckinResponse, (resp_id, pid, inv_id, f"synth-{resp_id}", at))
            before = phq
            phq = min(
                27,
                max(
                    0,
                    phq
                    + rng.choice((-2, -1, -1, 0, 0, 0, 1, 1, 2))
                    + (6 if rng.random() < 0.02 else 0),
                ),
            )
            peg = min(10.0, max(0.0, peg + rng.uniform(-0.6, 0.6)))
            sink.add(
                Score, (sink.new_id(Score), resp_id, pid, "phq9", "1.0", phq, _phq9_band(phq), at)
            )
            sink.add(Score, (sink.new_id(Score), resp_id, pid, "peg", "1.0", round(peg, 1), "", at))
            counts["resp"] += 1
            counts["score"] += 2
            if phq - before >= 5 or (phq >= 20 and rng.random() < 0.3):
                acked = rng.random() < site_ack[t]
                delay = dt.timedelta(minutes=rng.randint(5, 50) if acked else rng.randint(61, 600))
                sink.add(
                    Alert,
                    (
                        sink.new_id(Alert),
                        pid,
                        team.pk,
                        resp_id,
                        "phq9-worsening",
                        1,
                        "PHQ-9 rose by 5 or more, or is 20 or more",
                        "acknowledged",
                        at,
                        at + dt.timedelta(hours=1),
                        at + delay,
                    ),
                )
                counts["alert"] += 1
        done_since += 1
        if sink.pending >= BATCH_ROWS:
            sink.flush()
            if progress:
                progress(done_since)
            done_since = 0
    sink.flush()
    sink.finish()
    if progress:
        progress(done_since)
    return SynthResult(
        len(teams), patients, counts["inv"], counts["resp"], counts["score"], counts["alert"]
    )
