"""The append-only audit log of reads and changes of patient data."""

from __future__ import annotations

from typing import NoReturn

from django.db import models

from coproduce.platform import clock


class AuditIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs) -> NoReturn:
        raise AuditIsAppendOnly("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditIsAppendOnly("Audit events cannot be deleted.")

    def bulk_update(self, *args, **kwargs) -> NoReturn:
        raise AuditIsAppendOnly("Audit events cannot be changed.")

    def update_or_create(self, *args, **kwargs) -> NoReturn:
        raise AuditIsAppendOnly("Audit events cannot be changed.")


class AuditEvent(models.Model):
    """Who did what to whose data, when, within which request.

    Write through `coproduce.audit.services.record`. The ORM refuses updates and deletes, and
    database triggers (see the migration) refuse them for any other client too.
    """

    at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    acting_for = models.ForeignKey(
        "people.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The patient a parent or family member was acting for.",
    )
    patient = models.ForeignKey(
        "people.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["actor", "-at"])]

    def __str__(self) -> str:
        # No username: the admin shows this as the page's title, to registry admins too, who
        # must not see which patient did what.
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_role or '-'} {self.event}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditIsAppendOnly("Audit events cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs) -> NoReturn:
        raise AuditIsAppendOnly("Audit events cannot be deleted.")
