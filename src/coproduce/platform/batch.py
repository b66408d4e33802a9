"""Write a planned set of new rows in as few round trips as the database allows.

A check-in submit writes a response, its scores, the patient's messages, the team's alerts,
their audit events and outbox rows, and completes the invitation. Row by row through the ORM
that is a dozen round trips, and on a busy server the round trips, not the work, set the
pace. A `Batch` collects the unsaved model instances first; `write()` then stores them:

- on PostgreSQL in ONE statement (data-modifying CTEs: each row an `INSERT ... RETURNING id`,
  children take their parent's new id from its CTE);
- elsewhere (SQLite) row by row through the ORM, in the order they were added.

Both paths store the same rows and leave the instances saved (primary keys and foreign keys
set), so callers use the objects as if each had been `save()`d. Values go through each field's
own `get_db_prep_save`, and the database checks types and lengths as it does for the ORM.

The first insert may be a *guard* (`skip_if_exists=True`): if it would break a unique
constraint (an idempotency key already used), nothing in the batch is written and `write()`
returns False. This replaces a savepoint round trip around the insert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connections, models, transaction


@dataclass(frozen=True)
class Ref:
    """A text value made from the primary key of a row inserted earlier in the batch."""

    obj: models.Model
    prefix: str = ""
    suffix: str = ""

    def value(self) -> str:
        return f"{self.prefix}{self.obj.pk}{self.suffix}"


@dataclass
class _Insert:
    obj: models.Model
    refs: dict[str, Ref] = field(default_factory=dict)  # attname -> text made from a new pk
    guard: bool = False
    ignore_conflicts: bool = False


@dataclass
class _Update:
    obj: models.Model
    fields: list[str]


class Batch:
    """New rows (and updates of loaded rows) to store together; see the module docstring."""

    def __init__(self, using: str = "default"):
        self.using = using
        self.steps: list[_Insert | _Update] = []

    def insert(
        self,
        obj: models.Model,
        *,
        refs: dict[str, Ref] | None = None,
        skip_if_exists: bool = False,
        ignore_conflicts: bool = False,
    ) -> models.Model:
        """Add an unsaved instance; `refs` fill text fields from ids made in this batch."""
        if skip_if_exists and self.steps:
            raise ValueError("only the first insert of a batch can guard it")
        if not obj._state.adding:
            raise ValueError(f"{obj!r} is saved already")
        self.steps.append(
            _Insert(obj, dict(refs or {}), guard=skip_if_exists, ignore_conflicts=ignore_conflicts)
        )
        return obj

    def update(self, obj: models.Model, fields: list[str]) -> None:
        """Add an update of `fields` of a saved instance (by primary key)."""
        if obj.pk is None:
            raise ValueError("update needs a saved instance")
        self.steps.append(_Update(obj, list(fields)))

    def write(self) -> bool:
        """Store every step; False if the guard row existed already (then nothing is stored)."""
        if not self.steps:
            return True
        connection = connections[self.using]
        if connection.vendor == "postgresql":
            return _write_one_statement(self, connection)
        return _write_row_by_row(self)


@contextmanager
def one_round_trip(connection: Any) -> Iterator[None]:
    """Send the statements executed inside to PostgreSQL together (pipeline mode).

    Results are read after the block. Statements still run one after the other on the
    server, each seeing what the one before did; only the waiting between them goes.
    Elsewhere the statements simply run as they are executed.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


def prepared_cursor(connection: Any) -> Any:
    """A cursor whose repeated statements PostgreSQL parses and plans once per connection.

    Django binds parameters on the client, so every statement reaches the server as new text
    and is planned again; for the submit's big statements planning costs more than running
    them. This cursor sends parameters separately, so psycopg can prepare a statement after
    its fifth use on a connection (`prepare_threshold` in settings; psycopg keeps the 100
    most recent). It is wrapped like any Django cursor, so query logging and counting still
    see it. Elsewhere it is the ordinary cursor. (Behind PgBouncer in transaction mode,
    prepared statements need its `max_prepared_statements`; see docs/deployment.md.)
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))  # type: ignore[call-arg]


def columns(alias: str, model: type[models.Model], names: list[str]) -> list[str]:
    """Quoted `alias.column` for fields of `model`, in the model's field order (see from_row)."""
    qn = connections["default"].ops.quote_name
    return [f"{alias}.{qn(f.column)}" for f in _in_field_order(model, names)]


def from_row(
    model: type[models.Model], names: list[str], values: list[Any], using: str = "default"
):
    """An instance of `model` from raw column values; fields not named stay deferred.

    Values are converted as the ORM converts them (JSON text, SQLite timestamps, booleans),
    and deferred fields load on first access, so the instance is a normal one.
    """
    connection = connections[using]
    fields = _in_field_order(model, names)
    converted = []
    for f, value in zip(fields, values, strict=True):
        col = f.get_col(model._meta.db_table)
        for convert in [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(using, [f.attname for f in fields], converted)


def _in_field_order(model: type[models.Model], names: list[str]) -> list[Any]:
    wanted = set(names)
    return [f for f in model._meta.concrete_fields if f.attname in wanted or f.name in wanted]


def ref_or_value(obj: models.Model, prefix: str = "", suffix: str = "") -> Ref | str:
    """A Ref while `obj` is unsaved, else the finished text (for rows of either kind)."""
    ref = Ref(obj, prefix, suffix)
    return ref if obj.pk is None else ref.value()


# --- row by row (SQLite, and any database without data-modifying CTEs) -------------------------


def _write_row_by_row(batch: Batch) -> bool:
    for step in batch.steps:
        obj = step.obj
        if isinstance(step, _Update):
            obj.save(update_fields=step.fields, using=batch.using)
            continue
        for attname, ref in step.refs.items():
            setattr(obj, attname, ref.value())
        if step.guard:
            try:
                with transaction.atomic(using=batch.using):
                    obj.save(force_insert=True, using=batch.using)
            except IntegrityError:
                obj.pk = None
                return False
        elif step.ignore_conflicts:
            type(obj)._default_manager.using(batch.using).bulk_create([obj], ignore_conflicts=True)
        else:
            obj.save(force_insert=True, using=batch.using)
    return True


# --- one statement (PostgreSQL) ------------------------------------------------------------


def _write_one_statement(batch: Batch, connection: Any) -> bool:
    index = {id(step.obj): i for i, step in enumerate(batch.steps)}
    guarded = isinstance(batch.steps[0], _Insert) and batch.steps[0].guard
    shape: list[tuple] = []
    params: list[Any] = []
    inserts: list[_Insert] = []
    for step in batch.steps:
        obj = step.obj
        meta = obj._meta
        if isinstance(step, _Update):
            for name in step.fields:
                f: Any = meta.get_field(name)
                params.append(f.get_db_prep_save(f.pre_save(obj, False), connection))
            params.append(obj.pk)
            shape.append((type(obj), "update", tuple(step.fields)))
            continue
        values: list[tuple] = []  # per column: ("v",) a value, ("p", i) a parent, ("r", i) text
        for f in meta.concrete_fields:
            if f.primary_key and obj.pk is None:
                continue
            parent = _parent_in_batch(obj, f, index)
            if parent is not None:
                values.append((f.column, "p", parent))
            elif f.attname in step.refs:
                ref = step.refs[f.attname]
                values.append((f.column, "r", index[id(ref.obj)]))
                params.extend([ref.prefix, ref.suffix])
            else:
                values.append((f.column, "v"))
                params.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
        shape.append((type(obj), "insert", tuple(values), step.guard or step.ignore_conflicts))
        inserts.append(step)
    with prepared_cursor(connection) as cursor:
        cursor.execute(_statement(tuple(shape), guarded, connection.alias), params)
        ids = cursor.fetchone()
    if guarded and ids[0] is None:
        return False
    for step, pk in zip(inserts, ids, strict=True):
        obj = step.obj
        if pk is None:  # an ignore_conflicts row that was already there: not ours
            continue
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = batch.using
        for attname, ref in step.refs.items():
            setattr(obj, attname, ref.value())
        for concrete in obj._meta.concrete_fields:
            rel: Any = concrete
            if rel.is_relation and getattr(obj, rel.attname) is None and rel.is_cached(obj):
                related = rel.get_cached_value(obj)
                if related is not None:
                    setattr(obj, rel.attname, related.pk)
    return True


@lru_cache(maxsize=256)
def _statement(shape: tuple, guarded: bool, alias: str) -> str:
    """The WITH statement for a batch of this shape (a few shapes recur: cache them)."""
    qn = connections[alias].ops.quote_name
    ctes, selected = [], []
    for i, (model, kind, *rest) in enumerate(shape):
        meta = model._meta
        pk = qn(meta.pk.column)
        if kind == "update":
            sets = ", ".join(f"{qn(meta.get_field(n).column)} = %s" for n in rest[0])
            where = f"{pk} = %s" + (" AND EXISTS (SELECT 1 FROM s0)" if guarded else "")
            ctes.append(f"s{i} AS (UPDATE {qn(meta.db_table)} SET {sets} WHERE {where})")
            continue
        values, on_conflict = rest
        exprs = []
        for _column, how, *at in values:
            if how == "p":
                exprs.append(f"(SELECT id FROM s{at[0]})")
            elif how == "r":
                exprs.append(f"%s || (SELECT id FROM s{at[0]})::text || %s")
            else:
                exprs.append("%s")
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(v[0]) for v in values)}) "
            f"SELECT {', '.join(exprs)}"
        )
        if guarded and i:
            sql += " FROM s0"  # nothing after a skipped guard row is written
        if on_conflict:
            sql += " ON CONFLICT DO NOTHING"
        ctes.append(f"s{i} AS ({sql} RETURNING {pk} AS id)")
        selected.append(f"(SELECT id FROM s{i})")
    return f"WITH {', '.join(ctes)} SELECT {', '.join(selected)}"


def _parent_in_batch(obj: models.Model, f: Any, index: dict[int, int]) -> int | None:
    """The step of the unsaved row a foreign key of `obj` points at, if it is in the batch."""
    if not f.is_relation or not f.is_cached(obj):
        return None
    related = f.get_cached_value(obj)
    if related is None or related.pk is not None:
        return None
    at = index.get(id(related))
    if at is None:
        raise ValueError(f"{obj!r}.{f.name} points at an unsaved row that is not in the batch")
    return at
