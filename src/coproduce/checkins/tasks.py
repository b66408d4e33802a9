"""Background jobs on the django.tasks API (queued and run by `coproduce worker`).

Every job is safe to run twice or in two workers at once (see outbox.py and scheduling.py).
"""

from __future__ import annotations

from django.db import transaction

from coproduce.checkins import outbox, previsit, scheduling, services
from coproduce.checkins.tasks_compat import task


@task()
def dispatch_due() -> dict[str, int]:
    """Expire, send and remind the invitations due now."""
    return outbox.dispatch_due()


@task()
def plan_invitations() -> int:
    """Re-plan every enrolled patient's invitations for the rolling horizon."""
    with transaction.atomic():
        return scheduling.sync_all() + previsit.sync_upcoming()


@task()
def recheck_safetynet() -> int:
    """Evaluate again responses whose safety-net check failed at submit."""
    return services.recheck_safetynet()


# Imported here so the scheduler has one list of everything periodic.
from coproduce.registry import tasks as registry_tasks  # noqa: E402
from coproduce.research import tasks as research_tasks  # noqa: E402
from coproduce.safetynet import tasks as safetynet_tasks  # noqa: E402

# The outbox is not here: every worker sends it continuously (`web.worker`), so an urgent
# notification never waits for the next minute.
EVERY_MINUTE = (
    dispatch_due,
    recheck_safetynet,
    safetynet_tasks.escalate_overdue,
)
EVERY_HOUR = (
    plan_invitations,
    safetynet_tasks.find_silent_patients,
    registry_tasks.refresh_registry_rollups,
    research_tasks.accrue_incentives,
)
