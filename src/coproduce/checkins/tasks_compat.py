"""The django.tasks API: built into Django 6, the django-tasks backport on Django 5.2."""

from __future__ import annotations

import importlib

from django.conf import settings

_tasks = importlib.import_module(settings.TASKS_PACKAGE)

task = _tasks.task
