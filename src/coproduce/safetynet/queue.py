"""The care team's alert queue: one item per check-in, filters with counts, one page at a time.

The queue reads a few columns of every unresolved alert of the user's teams in one query and
does the rest in Python: grouping, filtering, the counts next to each filter and the page;
a second query loads the alerts of the page shown. A nurse's teams
hold a few thousand open alerts at the very most (bench/bench_alert_queue.py measures 2,000),
and a fixed number of queries whatever the number of alerts keeps the page fast on a busy
database (tests/safetynet/test_alert_queue.py pins the count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from coproduce.people.models import User
from coproduce.platform.models import Priority
from coproduce.safetynet.models import Alert, AlertStatus

PAGE_SIZE = 50

#: Age of an item (time since its oldest alert was raised): key, label, from, to.
AGES: tuple[tuple[str, Any, dt.timedelta, dt.timedelta | None], ...] = (
    ("hour", _("Under an hour"), dt.timedelta(0), dt.timedelta(hours=1)),
    ("day", _("1 to 24 hours"), dt.timedelta(hours=1), dt.timedelta(days=1)),
    ("week", _("1 to 7 days"), dt.timedelta(days=1), dt.timedelta(days=7)),
    ("older", _("Over a week"), dt.timedelta(days=7), None),
)


@dataclass(frozen=True, slots=True)
class Row:
    """What the queue needs of an alert to group, filter and count it (no model instance:
    building 2,000 of them with their patients would cost more than the rest of the page)."""

    pk: int
    response_id: int | None
    care_team_id: int
    priority: int
    created_at: dt.datetime
    status: str
    ack_due_at: dt.datetime | None
    assigned_to_id: int | None
    patient_id: int
    patient_words: str  # given and family name and registry ID, case-folded, for the search


ROW_FIELDS = (
    "pk",
    "response_id",
    "care_team_id",
    "priority",
    "created_at",
    "status",
    "ack_due_at",
    "assigned_to_id",
    "patient_id",
    "patient__given_name",
    "patient__family_name",
    "patient__registry_id",
)


def rows_of(alerts: QuerySet[Alert]) -> list[Row]:
    """One query: the queue's columns of `alerts`."""
    return [
        Row(pk, response, team, priority, created, status, due, assigned, patient, words)
        for (pk, response, team, priority, created, status, due, assigned, patient, *names) in (
            alerts.values_list(*ROW_FIELDS)
        )
        for words in [" ".join(names).casefold()]
    ]


@dataclass
class QueueItem:
    """The unresolved alerts one check-in raised (or one alert raised by anything else)."""

    rows: list[Row]  # most urgent first, then oldest
    #: The alerts themselves, in the order of `rows`: loaded only for the page shown.
    alerts: list[Alert] = field(default_factory=list)
    is_overdue: bool = False  # set for the items a page shows (see `overdue`)

    @property
    def lead(self) -> Alert:
        return self.alerts[0]

    @property
    def priority(self) -> int:
        return self.rows[0].priority

    @property
    def urgent(self) -> bool:
        return self.priority == Priority.URGENT

    @property
    def patient(self) -> Any:
        return self.lead.patient

    @property
    def care_team_id(self) -> int:
        return self.rows[0].care_team_id

    @property
    def raised_at(self) -> dt.datetime:
        return min(r.created_at for r in self.rows)

    @property
    def open(self) -> bool:
        return any(r.status == AlertStatus.OPEN for r in self.rows)

    @property
    def unreached(self) -> bool:
        return any(a.unreached_at for a in self.alerts)

    @property
    def escalated(self) -> bool:
        return any(a.escalation_level for a in self.alerts)

    def overdue(self, now: dt.datetime) -> bool:
        return any(
            r.status == AlertStatus.OPEN and r.ack_due_at is not None and r.ack_due_at < now
            for r in self.rows
        )

    @property
    def assignees(self) -> list[User | None]:
        """Who has the alerts, in the order of the alerts (None: nobody yet), each once."""
        seen: dict[int | None, User | None] = {}
        for a in self.alerts:
            seen.setdefault(a.assigned_to_id, a.assigned_to)
        return list(seen.values())

    @property
    def split(self) -> bool:
        """Whether the alerts of this item are assigned to different people."""
        return len({r.assigned_to_id for r in self.rows}) > 1

    def assigned_to(self, user: User) -> bool:
        return any(r.assigned_to_id == user.pk for r in self.rows)


def _order(row: Row) -> tuple:
    return (row.priority, row.created_at, row.pk)


def group_alerts(rows: Iterable[Row]) -> list[QueueItem]:
    """One item per check-in, most urgent first, then oldest."""
    groups: dict[tuple[str, int], list[Row]] = {}
    for row in rows:
        key = ("r", row.response_id) if row.response_id else ("a", row.pk)
        groups.setdefault(key, []).append(row)
    items = [QueueItem(sorted(group, key=_order)) for group in groups.values()]
    return sorted(items, key=lambda item: (item.priority, item.raised_at, item.rows[0].pk))


def load_alerts(items: Iterable[QueueItem], now: dt.datetime) -> None:
    """Fill in the alerts of the items a page shows (one query, at most a page's worth)."""
    items = list(items)
    wanted = [r.pk for item in items for r in item.rows]
    alerts = Alert.objects.select_related("patient", "assigned_to").in_bulk(wanted)
    for item in items:
        item.alerts = [alerts[r.pk] for r in item.rows if r.pk in alerts]
        item.is_overdue = item.overdue(now)


@dataclass(frozen=True)
class Filters:
    """What the nurse chose to see; anything not understood is ignored, not an error."""

    priority: int | None = None
    team: int | None = None
    age: str | None = None
    patient: str = ""
    mine: bool = False

    @classmethod
    def from_query(cls, query: Mapping[str, str], team_ids: Iterable[int]) -> Filters:
        def whole(name: str, allowed: Iterable[int]) -> int | None:
            try:
                value = int(query.get(name, ""))
            except ValueError:
                return None
            return value if value in set(allowed) else None

        age = query.get("age", "")
        return cls(
            priority=whole("priority", Priority.values),
            team=whole("team", team_ids),
            age=age if age in {key for key, *_ in AGES} else None,
            patient=query.get("patient", "").strip()[:100],
            mine=query.get("mine") == "1",
        )

    @property
    def active(self) -> bool:
        return bool(self.priority or self.team or self.age or self.patient or self.mine)


def _tests(
    filters: Filters, user: User, now: dt.datetime
) -> dict[str, Callable[[QueueItem], bool]]:
    """One test per filter in use (a filter not in use lets every item through)."""
    tests: dict[str, Callable[[QueueItem], bool]] = {}
    if filters.priority:
        tests["priority"] = lambda item: item.priority == filters.priority
    if filters.team:
        tests["team"] = lambda item: item.care_team_id == filters.team
    if filters.age:
        tests["age"] = lambda item: age_of(item, now) == filters.age
    if filters.patient:
        wanted = filters.patient.casefold()
        tests["patient"] = lambda item: wanted in item.rows[0].patient_words
    if filters.mine:
        tests["mine"] = lambda item: item.assigned_to(user)
    return tests


def age_of(item: QueueItem, now: dt.datetime) -> str:
    age = now - item.raised_at
    for key, _label, lower, upper in AGES:
        if age >= lower and (upper is None or age < upper):
            return key
    return AGES[0][0]  # raised "in the future" (a clock set back): the newest


def apply(
    items: list[QueueItem], filters: Filters, user: User, now: dt.datetime
) -> list[QueueItem]:
    tests = _tests(filters, user, now).values()
    return [item for item in items if all(test(item) for test in tests)]


def counts(
    items: list[QueueItem], filters: Filters, user: User, now: dt.datetime
) -> dict[str, dict[Any, int]]:
    """For each filter and each of its choices: how many items it would show.

    Counted with the other filters in use applied, so a count is what the click gives.
    """
    tests = _tests(filters, user, now)

    def others(name: str) -> list[QueueItem]:
        rest = [test for key, test in tests.items() if key != name]
        return [item for item in items if all(test(item) for test in rest)]

    result: dict[str, dict[Any, int]] = {}
    for name, choice_of in (
        ("priority", lambda item: item.priority),
        ("team", lambda item: item.care_team_id),
        ("age", lambda item: age_of(item, now)),
    ):
        tally: dict[Any, int] = {}
        for item in others(name):
            tally[choice_of(item)] = tally.get(choice_of(item), 0) + 1
        result[name] = tally
    result["mine"] = {True: sum(1 for item in others("mine") if item.assigned_to(user))}
    return result
