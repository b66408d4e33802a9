"""Run as `python -m tests.platform.schema_dump migrate|fresh`: set up the database named by
DATABASE_URL (or COPRODUCE_VAR_DIR's SQLite file) one way, then print what it holds as JSON --
tables, columns, constraints and indexes, triggers, recorded migrations, content types and
permissions -- for tests/platform/test_fresh_schema.py to compare."""

from __future__ import annotations

import json
import os
import re
import sys
import time

import django


def _columns(connection, cursor, table: str) -> list[list]:
    rows = []
    for info in connection.introspection.get_table_description(cursor, table):
        rows.append([info.name, info.type_code, bool(info.null_ok), info.default])
    return sorted(rows, key=lambda row: row[0])


def _constraints(connection, cursor, table: str) -> list[list]:
    out = []
    for name, c in connection.introspection.get_constraints(cursor, table).items():
        if connection.vendor == "sqlite" and (
            name.startswith("__") or re.fullmatch(r"fk_\d+", name)
        ):
            # SQLite's constraints have no names: its introspection numbers them in the order
            # of the table's columns, which differs where migrate added a column later.
            name = "(unnamed)"
        out.append(
            [
                name,
                c["columns"],
                bool(c["primary_key"]),
                bool(c["unique"]),
                c["foreign_key"] and list(c["foreign_key"]),
                bool(c["check"]),
                bool(c["index"]),
                c.get("orders"),
                c.get("type"),
                c.get("definition"),
            ]
        )
    return sorted(out, key=json.dumps)


def _triggers(connection, cursor) -> list:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
    else:
        cursor.execute(
            "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal"
        )
    return sorted(list(row) for row in cursor.fetchall())


def dump(connection) -> dict:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        schema = {
            table: {
                "columns": _columns(connection, cursor, table),
                "constraints": _constraints(connection, cursor, table),
            }
            for table in tables
        }
        triggers = _triggers(connection, cursor)
        sequences = []
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT sequencename, data_type::text, start_value, increment_by, max_value "
                "FROM pg_sequences ORDER BY sequencename"
            )
            sequences = [list(row) for row in cursor.fetchall()]
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = sorted(list(row) for row in cursor.fetchall())
    return {
        "schema": schema,
        "triggers": triggers,
        "sequences": sequences,
        "migrations": applied,
        # Without ids: migrate numbers content types in the order of the migrations' model
        # states, the fast path in the order of models.py; code finds a content type by its
        # app and model, never by a fixed id.
        "content_types": sorted(ContentType.objects.values_list("app_label", "model")),
        "permissions": sorted(
            Permission.objects.values_list(
                "content_type__app_label", "content_type__model", "codename", "name"
            )
        ),
    }


def main() -> None:
    os.environ.setdefault("COPRODUCE_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from coproduce.platform.schema import create_fresh

    started = time.process_time()
    if sys.argv[1] == "fresh":
        took_fast_path = create_fresh(connection)
    else:
        call_command("migrate", interactive=False, verbosity=0)
        took_fast_path = False
    seconds = time.process_time() - started
    print(json.dumps({"fast": took_fast_path, "seconds": seconds, **dump(connection)}))


if __name__ == "__main__":
    main()
