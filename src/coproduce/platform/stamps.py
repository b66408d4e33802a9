"""When a row last changed: `updated_at`, set on every save from the application clock.

Django's `auto_now` reads the wall clock and cannot be given a value (a demo seeded in the
past, a test standing on a chosen day); this reads `coproduce.platform.clock` instead. A new
row starts at its `created_at` when it has one, so a record entered as of an earlier day
was last changed then. A queryset `update()` does not pass through `save()`: a service that
changes such a row that way must also save it (see `careplans.plans`).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from coproduce.platform import clock


class UpdatedAt(models.Model):
    """Abstract: adds `updated_at`, moved to the application clock's now on every save."""

    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        created = getattr(self, "created_at", None)
        self.updated_at = created if self._state.adding and created else clock.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)
