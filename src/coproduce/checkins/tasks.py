"""Background jobs on the django.tasks API (queued and run by `coproduce worker`).

Every job is safe to run twice or in two workers at once (see outbox.py and scheduling.py).
They are put on the schedule in CheckinsConfig.ready().
"""

from __future__ import annotations

from django.db import transaction

from coproduce.checkins import outbox, previsit, scheduling, services
from coproduce.platform.tasks import task


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
