"""Safety-net background jobs (queued by `coproduce scheduler`, run by `coproduce worker`)."""

from __future__ import annotations

from django.db import transaction

from coproduce.platform.tasks import task
from coproduce.safetynet import jobs


@task()
def escalate_overdue() -> int:
    """Escalate urgent alerts nobody acknowledged in time; return how many."""
    return len(jobs.escalate_overdue())


@task()
def find_silent_patients() -> int:
    """Raise a routine alert for patients who stopped checking in; return how many."""
    with transaction.atomic():
        return len(jobs.find_silent_patients())
