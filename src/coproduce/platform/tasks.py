"""Background jobs: the django.tasks API and the one job schedule every app adds to.

`task` is built into Django 6 and is the django-tasks backport on Django 5.2. Each app lists
its periodic jobs in its AppConfig.ready() (`every_minute(...)`, `every_hour(...)`) by dotted
path, so the floor knows no app, start-up imports no job's module (a job module may pull in
the rules engine), and the worker (`platform.worker`) runs exactly what the apps listed. The
outbox is not a periodic job: every worker sends it continuously, so an urgent notification
never waits for the next minute.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

_tasks = importlib.import_module(settings.TASKS_PACKAGE)

task = _tasks.task

EVERY_MINUTE: list[str] = []
EVERY_HOUR: list[str] = []


def _add(schedule: list[str], jobs: tuple[str, ...]) -> None:
    for job in jobs:
        if job not in schedule:  # ready() may run twice (tests, the test runner's reloads)
            schedule.append(job)


def every_minute(*jobs: str) -> None:
    """Run the tasks at these dotted paths every minute, in the order the apps listed them."""
    _add(EVERY_MINUTE, jobs)


def every_hour(*jobs: str) -> None:
    """Run the tasks at these dotted paths every hour (on minute 0, before that minute's)."""
    _add(EVERY_HOUR, jobs)


def minute_jobs() -> list[Any]:
    """The tasks to run every minute."""
    return [import_string(path) for path in EVERY_MINUTE]


def hour_jobs() -> list[Any]:
    """The tasks to run every hour."""
    return [import_string(path) for path in EVERY_HOUR]
