"""collaboRATE reporting: top-score percentages per clinician and per unit, never answers.

Following the authors (Elwyn 2013; Barr 2014): a figure is the share of encounters in
which the patient gave the top answer (9) to all three items, and it is shown only from
25 complete encounters. The counting happens in the database, so individual answers never
reach a page, and a withheld figure carries no percentage at all, only the count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from coproduce.checkins.models import Score
from coproduce.instruments.rules import COLLABORATE_MIN_REPORTABLE
from coproduce.people.models import User
from coproduce.platform import clock

INSTRUMENT = "collaborate"
# The score is the mean of three 0-9 items, so it is 9 only when all three are 9.
TOP = 9
PERIOD_DAYS = 365
APPOINTMENT = "response__invitation__appointment"
# Instruments whose answers no care-team page shows (the dashboard and the day list leave
# them out for everyone, as the dashboard is the same page for patient and clinician).
CONFIDENTIAL = frozenset({INSTRUMENT})


@dataclass(frozen=True)
class Figure:
    """One clinician's or unit's figure; `top_percent` is None when it is withheld."""

    label: str
    encounters: int
    top_percent: float | None

    @property
    def reportable(self) -> bool:
        return self.top_percent is not None

    @property
    def withheld_reason(self) -> str:
        return (
            f"Not shown: a collaboRATE figure needs at least {COLLABORATE_MIN_REPORTABLE} "
            f"complete encounters, and there {'is' if self.encounters == 1 else 'are'} "
            f"{self.encounters} so far."
        )


def figure(label: str, encounters: int, top: int) -> Figure:
    """A figure, withheld (no percentage kept) below the minimum number of encounters."""
    if encounters < COLLABORATE_MIN_REPORTABLE:
        return Figure(label, encounters, None)
    return Figure(label, encounters, round(100 * top / encounters, 1))


def since(now: dt.datetime | None = None) -> dt.datetime:
    return (now or clock.now()) - dt.timedelta(days=PERIOD_DAYS)


def _encounters(start: dt.datetime) -> QuerySet[Score]:
    """Complete collaboRATE scores of post-visit check-ins for visits since `start`."""
    return Score.objects.filter(
        instrument_id=INSTRUMENT,
        complete=True,
        score__isnull=False,
        **{f"{APPOINTMENT}__isnull": False, f"{APPOINTMENT}__starts_at__gte": start},
    )


def _counts() -> dict[str, Count]:
    # One encounter per appointment, even if a response were ever stored twice.
    return {
        "n": Count(APPOINTMENT, distinct=True),
        "top": Count(APPOINTMENT, distinct=True, filter=Q(score__gte=TOP)),
    }


def for_clinician(user: User, *, now: dt.datetime | None = None) -> Figure:
    """The figure of the encounters `user` was the clinician of."""
    row = (
        _encounters(since(now)).filter(**{f"{APPOINTMENT}__clinician": user}).aggregate(**_counts())
    )
    return figure(user.get_full_name() or user.username, row["n"], row["top"])


def by_clinician(*, now: dt.datetime | None = None) -> list[Figure]:
    """Every clinician's figure (QI leads), named, most encounters first."""
    rows = (
        _encounters(since(now))
        .filter(**{f"{APPOINTMENT}__clinician__isnull": False})
        .values(
            f"{APPOINTMENT}__clinician",
            f"{APPOINTMENT}__clinician__first_name",
            f"{APPOINTMENT}__clinician__last_name",
            f"{APPOINTMENT}__clinician__username",
        )
        .annotate(**_counts())
        .order_by()
    )
    out = []
    for row in rows:
        name = " ".join(
            filter(
                None,
                (
                    row[f"{APPOINTMENT}__clinician__first_name"],
                    row[f"{APPOINTMENT}__clinician__last_name"],
                ),
            )
        )
        out.append(figure(name or row[f"{APPOINTMENT}__clinician__username"], row["n"], row["top"]))
    return sorted(out, key=lambda f: (-f.encounters, f.label))


def by_unit(*, now: dt.datetime | None = None) -> list[Figure]:
    """Every care team's figure (QI leads), most encounters first."""
    team = f"{APPOINTMENT}__care_team"
    rows = (
        _encounters(since(now))
        .values(team, f"{team}__name", f"{team}__site__name")
        .annotate(**_counts())
        .order_by()
    )
    out = [
        figure(f"{row[f'{team}__name']} ({row[f'{team}__site__name']})", row["n"], row["top"])
        for row in rows
    ]
    return sorted(out, key=lambda f: (-f.encounters, f.label))
