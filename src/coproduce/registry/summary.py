"""Aggregate counts that researchers and QI leads may see (no patient rows)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from coproduce.people.models import Condition, PatientCondition

# Cells describing fewer than this many patients are hidden so nobody can be singled out.
SMALL_CELL = 5


@dataclass(frozen=True)
class CountCell:
    site: str
    condition: str
    patients: int | None  # None when suppressed

    @property
    def shown(self) -> str:
        return "fewer than 5" if self.patients is None else str(self.patients)


def suppress(count: int) -> int | None:
    """Return the count, or None when it is a small cell (1-4); zero is not identifying."""
    return None if 0 < count < SMALL_CELL else count


def site_condition_counts() -> list[CountCell]:
    """Return patients per site and condition, small cells suppressed, in one query."""
    labels = dict(Condition.choices)
    rows = (
        PatientCondition.objects.values("patient__care_team__site__name", "condition")
        .annotate(n=Count("patient", distinct=True))
        .order_by("patient__care_team__site__name", "condition")
    )
    return [
        CountCell(
            site=row["patient__care_team__site__name"],
            condition=str(labels.get(row["condition"], row["condition"])),
            patients=suppress(row["n"]),
        )
        for row in rows
    ]
