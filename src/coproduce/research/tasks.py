"""Research background jobs (queued by `coproduce scheduler`, run by `coproduce worker`)."""

from __future__ import annotations

from coproduce.platform.tasks import task
from coproduce.research import incentives


@task()
def accrue_incentives() -> int:
    """Accrue answered study surveys and completed membership years (safe to run again)."""
    return incentives.accrue_due()
