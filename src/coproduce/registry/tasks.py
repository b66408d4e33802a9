"""Registry background jobs (queued by `coproduce scheduler`, run by `coproduce worker`)."""

from __future__ import annotations

import datetime as dt

from coproduce.platform import clock
from coproduce.platform.tasks import task
from coproduce.registry.rollups import refresh_rollups


@task()
def refresh_registry_rollups() -> int:
    """Recompute last month's and this month's roll-ups (late check-ins change both)."""
    today = clock.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return refresh_rollups(last_month, today=today)
