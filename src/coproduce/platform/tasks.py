"""Background jobs: the django.tasks API and the one job schedule every app adds to.

`task` is built into Django 6 and is the django-tasks backport on Django 5.2. Each app lists
its periodic jobs in its AppConfig.ready() (`every_minute(...)`, `every_hour(...)`), so the
floor knows no app and the worker (`web.worker`) runs exactly what the apps listed. The
outbox is not a periodic job: every worker sends it continuously, so an urgent notification
never waits for the next minute.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings

_tasks = importlib.import_module(settings.TASKS_PACKAGE)

task = _tasks.task

EVERY_MINUTE: list[Any] = []
EVERY_HOUR: list[Any] = []


def _add(schedule: list[Any], jobs: tuple[Any, ...]) -> None:
    for job in jobs:
        if job not in schedule:  # ready() may run twice (tests, the test runner's reloads)
            schedule.append(job)


def every_minute(*jobs: Any) -> None:
    """Run `jobs` every minute, in the order the apps listed them."""
    _add(EVERY_MINUTE, jobs)


def every_hour(*jobs: Any) -> None:
    """Run `jobs` every hour (on minute 0, before that minute's jobs)."""
    _add(EVERY_HOUR, jobs)
