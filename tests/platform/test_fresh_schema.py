"""The demo's one-step schema (platform.schema.create_fresh) equals a real `migrate`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from coproduce.platform import schema

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _empty_databases(tmp_path):
    """Two environments, each naming a new empty database of the suite's own vendor."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    base.update({"COPRODUCE_MODE": "test", "PYTHONPATH": str(ROOT)})
    if connection.vendor == "sqlite":
        envs = []
        for name in ("migrate", "fresh"):
            (tmp_path / name).mkdir()
            envs.append({**base, "COPRODUCE_VAR_DIR": str(tmp_path / name)})
        yield envs
        return
    import psycopg

    params = connection.settings_dict
    server = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
    }
    names = [f"fresh_schema_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("migrate", "fresh")]
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            password = f":{server['password']}" if server["password"] else ""
            yield [
                {
                    **base,
                    "DATABASE_URL": f"postgres://{server['user']}{password}@{server['host']}:"
                    f"{server['port']}/{name}",
                }
                for name in names
            ]
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(module: str, args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _set_up(how: str, env: dict) -> dict:
    result = _run("tests.platform.schema_dump", [how], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.django_db
def test_a_fresh_schema_is_the_schema_migrate_makes(tmp_path):
    with _empty_databases(tmp_path) as (migrate_env, fresh_env):
        migrated = _set_up("migrate", migrate_env)
        fresh = _set_up("fresh", fresh_env)
        # A new migration with code this module does not know turns the fast path off: if
        # this fails, read that migration and list it in schema.KNOWN_CODE.
        assert fresh["fast"] is True
        assert set(fresh["schema"]) == set(migrated["schema"])
        for table in migrated["schema"]:
            assert fresh["schema"][table] == migrated["schema"][table], table
        assert fresh["triggers"] == migrated["triggers"]
        assert fresh["sequences"] == migrated["sequences"]
        assert len(fresh["triggers"]) == (1 if connection.vendor == "sqlite" else 2)
        assert fresh["migrations"] == migrated["migrations"]
        assert fresh["content_types"] == migrated["content_types"]
        assert fresh["permissions"] == migrated["permissions"]
        # Nothing left for migrate to do, and it has nothing to change either.
        check = _run("coproduce.cli", ["migrate", "--check", "--verbosity", "0"], fresh_env)
        assert check.returncode == 0, check.stdout + check.stderr
        print(f"migrate {migrated['seconds']:.1f} s CPU, create_fresh {fresh['seconds']:.1f} s")


@pytest.mark.django_db
def test_it_does_nothing_on_a_database_that_has_tables():
    assert schema.create_fresh(connection) is False


@pytest.mark.django_db
def test_unknown_code_in_a_migration_turns_the_fast_path_off(monkeypatch):
    # Without the audit squash's entry its RunPython is code the module does not know, so
    # migrate must run: create_fresh answers False before it touches the database.
    known = dict(schema.KNOWN_CODE)
    del known[("audit", "0001_squashed_0004_defaults_from_the_application_clock")]
    monkeypatch.setattr(schema, "KNOWN_CODE", known)
    tables = connection.introspection.table_names()
    monkeypatch.setattr(connection.introspection, "table_names", lambda *args, **kwargs: [])
    assert schema.create_fresh(connection) is False
    monkeypatch.undo()
    assert connection.introspection.table_names() == tables
