"""What the safety-net rules can ask about a check-in, read in one query.

Checking a new check-in needs the active rules, the patient's programs, their score history,
snoozes, open alerts, the last attended visit and who hears urgent alerts (recipients.py). On a
busy server each round trip costs more than the checking itself, so `load_snapshot` reads
all of it in one `UNION ALL` query (plain SQL that SQLite and PostgreSQL both run). Rule
definitions never change within a version, so each process keeps them once read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Q

from coproduce.checkins.models import CheckinResponse, Enrollment, Program, Score
from coproduce.people.models import Patient
from coproduce.platform.batch import prepared_cursor
from coproduce.safetynet.expressions import calls, parse
from coproduce.safetynet.models import Alert, AlertStatus, Rule, Snooze
from coproduce.safetynet.recipients import (
    CONTACT_KINDS,
    Contacts,
    contact_params,
    contact_sql,
    read_contact,
)
from coproduce.visits.models import Appointment, AppointmentStatus


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- rules ---------------------------------------------------------------------------------

# A rule version's definition never changes (new content makes a new version), so each
# process reads it from the database once.
_DEFINITIONS: dict[tuple[str, int], dict[str, Any]] = {}


@lru_cache(maxsize=512)
def parsed(rule_id: str, version: int, condition: str):
    """Parse a rule's condition once per process (a rule version never changes)."""
    return parse(condition)


@lru_cache(maxsize=512)
def needs(rule_id: str, version: int, condition: str) -> frozenset[str]:
    """The first arguments of a condition's facts: mostly instruments whose history it reads."""
    return frozenset(args[0] for _, args in calls(parsed(rule_id, version, condition)) if args)


def _remember(active: list[tuple[str, int]]) -> None:
    missing = [(r, v) for r, v in active if (r, v) not in _DEFINITIONS]
    if not missing:
        return
    wanted = Q()
    for rule_id, version in missing:
        wanted |= Q(rule_id=rule_id, version=version)
    for rule_id, version, definition in Rule.objects.filter(wanted).values_list(
        "rule_id", "version", "definition"
    ):
        _DEFINITIONS[(rule_id, version)] = definition


def known_needs() -> frozenset[str]:
    """Instruments (and other first arguments) any rule this process has read asks about."""
    return _known_needs(len(_DEFINITIONS))


@lru_cache(maxsize=8)
def _known_needs(size: int) -> frozenset[str]:  # definitions are only ever added
    out: set[str] = set()
    for (rule_id, version), definition in list(_DEFINITIONS.items()):
        if "condition" in definition:  # job-triggered rules (no check-in) have none
            out |= needs(rule_id, version, definition["condition"])
    return frozenset(out)


# --- the snapshot --------------------------------------------------------------------------


@dataclass
class Snapshot:
    """Everything the rules may ask about one patient at one moment."""

    rules: list[tuple[str, int]] = field(default_factory=list)  # active (rule_id, version)
    programs: dict[str, dt.date] = field(default_factory=dict)  # slug -> started_on
    history: dict[str, list[tuple[dt.datetime, float]]] = field(default_factory=dict)
    snoozed: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)  # rules with an alert not yet resolved
    # Of each rule's unresolved alerts: the most urgent priority and the earliest due time.
    open_alerts: dict[str, tuple[int, dt.datetime | None]] = field(default_factory=dict)
    last_visit: dt.datetime | None = None
    contacts: Contacts = field(default_factory=Contacts)  # who may hear an urgent alert
    asked: set[str] = field(default_factory=set)  # instruments whose history was read

    def rules_for_programs(self) -> list[dict[str, Any]]:
        """The active check-in rules of the patient's programs, definitions included."""
        _remember(self.rules)
        out = []
        for rule_id, version in self.rules:
            definition = _DEFINITIONS[(rule_id, version)]
            if definition.get("trigger", "checkin") == "checkin" and set(self.programs) & set(
                definition.get("programs", [])
            ):
                out.append(definition | {"id": rule_id, "version": version})
        return out

    def enrolled_at(self) -> dt.datetime | None:
        first = min(self.programs.values(), default=None)
        return dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC) if first else None


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _aware(value: Any) -> dt.datetime | None:
    """A timestamp from a raw row (SQLite returns text in UTC, PostgreSQL an aware datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@lru_cache(maxsize=64)
def _snapshot_sql(vendor: str, n_instruments: int) -> str:
    """The snapshot statement (its text depends only on how many instruments it reads)."""
    parts = [
        # The first branch names the column types (PostgreSQL types a bare NULL as text).
        "SELECT 'rule', rule_id, CAST(NULL AS TEXT), CAST(NULL AS TIMESTAMP WITH TIME ZONE), "
        f"CAST(version AS DOUBLE PRECISION), CAST(NULL AS BIGINT) FROM {_table(Rule)} "
        "WHERE active = %s",
        f"SELECT 'program', p.slug, CAST(e.started_on AS TEXT), NULL, NULL, NULL "
        f"FROM {_table(Enrollment)} e JOIN {_table(Program)} p ON p.id = e.program_id "
        "WHERE e.patient_id = %s AND e.ended_on IS NULL",
        f"SELECT 'snooze', rule_id, NULL, until, NULL, NULL FROM {_table(Snooze)} "
        "WHERE patient_id = %s AND until > %s",
        f"SELECT 'open', rule_id, NULL, ack_due_at, CAST(priority AS DOUBLE PRECISION), NULL "
        f"FROM {_table(Alert)} "
        "WHERE patient_id = %s AND status <> %s",
        f"SELECT 'visit', NULL, NULL, MAX(starts_at), NULL, NULL FROM {_table(Appointment)} "
        "WHERE patient_id = %s AND status = %s AND starts_at <= %s",
        *contact_sql(f"(SELECT care_team_id FROM {_table(Patient)} WHERE id = %s)"),
    ]
    if n_instruments:
        marks = ", ".join(["%s"] * n_instruments)
        parts.append(
            f"SELECT 'score', instrument_id, NULL, at, score, id FROM {_table(Score)} "
            f"WHERE patient_id = %s AND instrument_id IN ({marks}) AND at <= %s "
            "AND score IS NOT NULL AND response_id <> %s"
        )
    return " UNION ALL ".join(parts)


def snapshot_query(
    *,
    patient_id: int,
    at: dt.datetime,
    now: dt.datetime,
    instruments: set[str],
    exclude_response: int | None = None,
) -> tuple[str, list[Any]]:
    """The one statement that reads a snapshot (history only for `instruments`, up to `at`)."""
    ops = connection.ops
    when, now_db = ops.adapt_datetimefield_value(at), ops.adapt_datetimefield_value(now)
    params: list[Any] = [
        True,
        patient_id,
        patient_id,
        now_db,
        patient_id,
        AlertStatus.RESOLVED.value,
        patient_id,
        AppointmentStatus.ATTENDED.value,
        when,
        *contact_params(patient_id),
    ]
    if instruments:
        params += [patient_id, *sorted(instruments), when, exclude_response or 0]
    return _snapshot_sql(connection.vendor, len(instruments)), params


def read_snapshot(rows: list[tuple], instruments: set[str]) -> Snapshot:
    """The Snapshot from the rows of `snapshot_query`."""
    snap = Snapshot(asked=set(instruments))
    scores: list[tuple[dt.datetime, int, str, float]] = []
    for kind, name, text, at_value, num, row_id in rows:
        if kind == "rule":
            snap.rules.append((name, int(num)))
        elif kind == "program":
            snap.programs[name] = dt.date.fromisoformat(str(text)[:10])
        elif kind == "snooze":
            snap.snoozed.add(name)
        elif kind == "open":
            snap.unresolved.add(name)
            due, before = _aware(at_value), snap.open_alerts.get(name)
            if before is not None:
                due = min((d for d in (due, before[1]) if d is not None), default=None)
            priority = int(num) if before is None else min(int(num), before[0])
            snap.open_alerts[name] = (priority, due)
        elif kind == "visit":
            snap.last_visit = _aware(at_value)
        elif kind in CONTACT_KINDS:
            read_contact(snap.contacts, kind, name, text, row_id)
        else:
            scores.append((_aware(at_value), int(row_id), name, float(num)))  # type: ignore[arg-type]
    snap.rules.sort()
    for at_value, _, instrument, value in sorted(scores):
        snap.history.setdefault(instrument, []).append((at_value, value))
    return snap


def load_snapshot(
    *,
    patient_id: int,
    at: dt.datetime,
    now: dt.datetime,
    instruments: set[str],
    exclude_response: int | None = None,
) -> Snapshot:
    """Read a patient's snapshot in one query."""
    sql, params = snapshot_query(
        patient_id=patient_id,
        at=at,
        now=now,
        instruments=instruments,
        exclude_response=exclude_response,
    )
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return read_snapshot(rows, instruments)


def add_history(
    snap: Snapshot, *, patient_id: int, at: dt.datetime, instruments: set[str], exclude: int | None
) -> None:
    """Read more history into `snap` (when a rule new to this process asks for it)."""
    rows = (
        Score.objects.filter(patient_id=patient_id, instrument_id__in=sorted(instruments))
        .exclude(response_id=exclude or 0)
        .filter(at__lte=at, score__isnull=False)
        .order_by("at", "pk")
        .values_list("instrument_id", "at", "score")
    )
    for instrument, when, value in rows:
        snap.history.setdefault(instrument, []).append((when, value))  # type: ignore[arg-type]
    snap.asked |= instruments


class Facts:
    """What a condition can ask about: this check-in and the patient's snapshot."""

    def __init__(self, response: CheckinResponse, scores: list[Score], snapshot: Snapshot):
        self.response = response
        self.scores = scores
        self.current = {s.instrument_id: s for s in scores}
        self.names = {"free_text": bool((response.free_text or "").strip())}
        self.history = snapshot.history
        self._enrolled = snapshot.enrolled_at()
        self._visit = snapshot.last_visit

    def __call__(self, name: str, *args: str) -> Any:
        return getattr(self, f"fact_{name}")(*args)

    def fact_score(self, instrument: str) -> float | None:
        s = self.current.get(instrument)
        return s.score if s is not None and s.complete else None

    def fact_band(self, instrument: str) -> str | None:
        s = self.current.get(instrument)
        return s.band if s is not None else None

    def fact_answered(self, instrument: str) -> bool:
        return instrument in self.current or instrument in (self.response.answers or {})

    def fact_flag(self, name: str) -> bool:
        return any(name in (s.flags or []) for s in self.scores)

    def fact_item(self, instrument: str, link_id: str) -> Any:
        s = self.current.get(instrument)
        value = (s.item_values or {}).get(link_id) if s is not None else None
        if value is None:
            value = ((self.response.answers or {}).get(instrument) or {}).get(link_id)
        n = number(value)
        return n if n is not None else value

    def fact_previous(self, instrument: str) -> float | None:
        past = self.history.get(instrument)
        return past[-1][1] if past else None

    def fact_baseline(self, instrument: str) -> float | None:
        start = self._enrolled
        for at, value in self.history.get(instrument, []):
            if start is None or at >= start:
                return value
        return None

    def fact_since_last_visit(self, instrument: str) -> float | None:
        visit, now = self._visit, self.fact_score(instrument)
        if visit is None or now is None:
            return None
        before = [v for at, v in self.history.get(instrument, []) if at <= visit]
        return now - before[-1] if before else None

    def fact_rising_weeks(self, instrument: str) -> int | None:
        now = self.fact_score(instrument)
        if now is None:
            return None
        series = [v for _, v in self.history.get(instrument, [])] + [now]
        rises = 0
        for i in range(len(series) - 1, 0, -1):
            if series[i] <= series[i - 1]:
                break
            rises += 1
        return rises
