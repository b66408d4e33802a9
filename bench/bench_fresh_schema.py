"""A new database's schema: `migrate` against the demo's one step (platform.schema.create_fresh).

Each way runs in its own `coproduce` process on its own new, empty database -- a SQLite file
in a temporary folder, or with --postgres a new database on the local server (created and
dropped here; loopback only) -- and reports the CPU time of that step alone (process time,
imports excluded), best of --runs. The baseline is migrate, measured in the same run.

    .venv/bin/python bench/bench_fresh_schema.py [--runs 3] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
STEP = """
import os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
django.setup()
from django.core.management import call_command
from django.db import connection
from coproduce.platform.schema import create_fresh
started = time.process_time()
if {fresh!r}:
    assert create_fresh(connection), "the fast path was not taken"
else:
    call_command("migrate", interactive=False, verbosity=0)
print(time.process_time() - started)
"""


def _one(fresh: bool, postgres: bool) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPRODUCE_", "DATABASE_"))}
    env["COPRODUCE_MODE"] = "test"
    with tempfile.TemporaryDirectory() as var:
        env["COPRODUCE_VAR_DIR"] = var
        name = f"bench_schema_{uuid.uuid4().hex[:8]}"
        if postgres:
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            env["DATABASE_URL"] = f"{PG_SERVER}/{name}"
        try:
            out = subprocess.run(
                [sys.executable, "-c", STEP.format(fresh=fresh)],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            return float(out.stdout.strip().splitlines()[-1])
        finally:
            if postgres:
                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="local PostgreSQL, not SQLite")
    args = parser.parse_args()
    vendor = "PostgreSQL" if args.postgres else "SQLite"
    migrate = min(_one(False, args.postgres) for _ in range(args.runs))
    fresh = min(_one(True, args.postgres) for _ in range(args.runs))
    print(
        f"{vendor}, best of {args.runs}: migrate {migrate:.2f} s CPU (baseline), "
        f"create_fresh {fresh:.2f} s CPU, ratio {fresh / migrate:.3f} ({migrate / fresh:.0f}x less)"
    )


if __name__ == "__main__":
    main()
