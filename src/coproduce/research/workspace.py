"""What the coordinator's workspace shows: participants by status, work due, completion."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from coproduce.people.models import User
from coproduce.research.access import arms_shown_among
from coproduce.research.followup import assessments_due_for, completion_of
from coproduce.research.models import Study
from coproduce.research.participants import ContactTask, Participant, Status, TreatmentSession

FOLLOWED = (Status.RANDOMISED, Status.ACTIVE, Status.WITHDRAWN, Status.COMPLETED)


@dataclass
class Row:
    participant: Participant
    answered: int
    owed: int
    overdue: list

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.owed) if self.owed else None


def by_status(participants: QuerySet[Participant]) -> list[tuple[str, str, int]]:
    """(status, label, count) in the order of the study path."""
    counts = Counter(participants.values_list("status", flat=True))
    return [(s.value, str(s.label), counts.get(s.value, 0)) for s in Status]


def followed_rows(participants: QuerySet[Participant], *, now: dt.datetime) -> list[Row]:
    """Completion and overdue study assessments of everyone randomised."""
    out = []
    followed = list(
        participants.filter(status__in=FOLLOWED).select_related(
            "patient", "site", "study__assessments"
        )
    )
    due_of = assessments_due_for(followed, now=now)
    for p in followed:
        due = due_of[p.pk]
        answered, owed = completion_of(due)
        out.append(Row(p, answered, owed, [d for d in due if d.state == "overdue"]))
    return sorted(out, key=lambda r: (-len(r.overdue), r.participant.patient.family_name))


def completion_by_site(rows: list[Row]) -> list[tuple[str, int, int, int | None]]:
    """(site, answered, owed, percent) per site."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        t = totals.setdefault(row.participant.site.name, [0, 0])
        t[0] += row.answered
        t[1] += row.owed
    return [
        (site, a, o, round(100 * a / o) if o else None) for site, (a, o) in sorted(totals.items())
    ]


def calls_due(participants: QuerySet[Participant], *, on: dt.date) -> QuerySet[ContactTask]:
    return (
        ContactTask.objects.filter(
            participant__in=participants, done_at__isnull=True, due_on__lte=on
        )
        .select_related("participant__patient")
        .order_by("due_on")
    )


def sessions_between(
    user: User, participants: QuerySet[Participant], start: dt.datetime, end: dt.datetime
) -> list[TreatmentSession]:
    """Sessions in [start, end) of those whose arm `user` may see (sessions tell the arm)."""
    sessions = list(
        TreatmentSession.objects.filter(
            participant__in=participants, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("participant__patient", "participant__study")
        .order_by("starts_at")
    )
    shown = arms_shown_among(user, list({s.participant for s in sessions}))
    return [s for s in sessions if s.participant_id in shown]


def study_arms(study: Study):
    return list(study.arms.order_by("pk"))
