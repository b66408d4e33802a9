"""A copy of every table's rows, taken once and put back before each test that needs it.

Seeding the whole demo takes about ten seconds; browser tests need a fresh demo each (they
run on a flushed database, `transactional_db`), and unit tests that read the demo get it
inside their own transaction, rolled back afterwards (`demo_rows`). The first test seeds it
and takes a snapshot; the next ones get the same rows back in well under a second, with the
same primary keys, so the seed's returned objects stay true. Plain SQL through Django's cursor,
on SQLite and PostgreSQL alike: Django declares foreign keys DEFERRABLE INITIALLY DEFERRED
on both, so rows go back table by table inside one transaction in any order.
"""

from __future__ import annotations

import datetime as dt
import decimal
import pickle
from dataclasses import dataclass

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[tuple]


def _models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _tables() -> list[str]:
    existing = set(connection.introspection.table_names())
    names = {model._meta.db_table for model in _models()}
    return sorted(names & existing)


def _adapt(value):
    if connection.vendor == "postgresql":
        if isinstance(value, dict | list):
            from psycopg.types.json import Jsonb

            return Jsonb(value)
    elif isinstance(value, dt.date | dt.time | decimal.Decimal):
        # SQLite hands these back converted; they go back as the text Django stores.
        return str(value)
    return value


def take() -> list[Table]:
    """Every row of every model's table, as the database holds them now."""
    quote = connection.ops.quote_name
    tables = []
    with connection.cursor() as cursor:
        for name in _tables():
            cursor.execute(f"SELECT * FROM {quote(name)}")  # noqa: S608 (table names from models)
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
            if rows:
                tables.append(Table(name, columns, rows))
    return tables


def put_back(tables: list[Table]) -> None:
    """Replace what the tables hold now (Django re-creates content types and permissions
    after each flush) with the snapshot's rows; then move sequences past them."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for name in _tables():
            cursor.execute(f"SELECT 1 FROM {quote(name)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                cursor.execute(f"DELETE FROM {quote(name)}")  # noqa: S608
        for table in tables:
            columns = ", ".join(quote(column) for column in table.columns)
            marks = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(
                f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})",  # noqa: S608
                [tuple(_adapt(value) for value in row) for row in table.rows],
            )
        for statement in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(statement)


_DEMO: dict = {}


def seeded_demo():
    """The whole demo as of today, seeded by the first test of this process that asks (its
    context returned as seeded), put back from the snapshot for the next ones."""
    from coproduce.demo import seed_all
    from coproduce.platform import clock

    key = (clock.today(), connection.vendor)
    if key not in _DEMO:
        context = seed_all()
        _DEMO.clear()
        _DEMO[key] = (take(), pickle.dumps(context))
        return context
    tables, context = _DEMO[key]
    put_back(tables)
    return pickle.loads(context)  # noqa: S301 (our own pickle, this process)
