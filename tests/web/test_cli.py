"""The `coproduce` command on a database that was never set up."""

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest


def run_cli(args: list[str], var_dir, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPRODUCE_", "DATABASE_"))}
    env.update({"COPRODUCE_MODE": "demo", "COPRODUCE_VAR_DIR": str(var_dir), **settings})
    return subprocess.run(
        [sys.executable, "-m", "coproduce.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_it_says_run_migrate_instead_of_a_traceback_on_a_new_database(tmp_path):
    # Issue 12: any command on a never-migrated database printed a Python traceback.
    result = run_cli(["instruments", "list"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "the database is not set up: run coproduce migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_another_command_says_it_too(tmp_path):
    result = run_cli(["apiclient", "list"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "the database is not set up: run coproduce migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_says_it_on_a_new_postgresql_database_too(tmp_path):
    """An empty PostgreSQL database of its own (beside the test database), dropped after."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL on PostgreSQL")
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    empty = f"{parts.path.strip('/') or 'coproduce'}_empty"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(empty)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(empty)))
    try:
        for args in (["instruments", "list"], ["apiclient", "list"]):
            result = run_cli(
                args,
                tmp_path,
                COPRODUCE_MODE="test",
                DATABASE_URL=urlunsplit(parts._replace(path=f"/{empty}")),
            )
            assert result.returncode == 1, result.stderr
            assert "the database is not set up: run coproduce migrate" in result.stderr, args
            assert "Traceback" not in result.stderr
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(empty)))


def test_the_demo_starts_on_a_new_database_with_a_schema_migrate_accepts(tmp_path):
    # The first start makes the schema in one step (platform.schema.create_fresh): migrate
    # then finds nothing to do, and other commands run on it as on a migrated database
    # (no "not set up" where it is set up).
    first = run_cli(["demo", "--no-serve", "--no-worker"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Seeded as of" in first.stdout and "nothing new" not in first.stdout
    check = run_cli(["migrate", "--check", "--verbosity", "0"], tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = run_cli(["instruments", "list"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "the database is not set up" not in listed.stderr
    assert "phq9" in listed.stdout
