"""Writing to the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from coproduce.audit.context import current_request_id
from coproduce.audit.events import is_registered
from coproduce.audit.models import AuditEvent


def record(event: str, **who_and_what: Any) -> AuditEvent:
    """Append one audit event and return it (arguments as for `audit_event`)."""
    entry = audit_event(event, **who_and_what)
    entry.save()
    return entry


def audit_event(
    event: str,
    *,
    actor: Any = None,
    patient: Any = None,
    acting_for: Any = None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Return an unsaved audit event (for a `Batch`); `record` is the one-row shortcut.

    The object id of an object not saved yet is left empty: fill it with a batch `Ref`.
    """
    if not is_registered(event):
        raise ValueError(f"Unknown audit event {event!r}: declare it in its app's events.py.")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        event=event,
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        actor_role=getattr(user, "role", "") or "",
        patient=patient,
        acting_for=acting_for,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        request_id=current_request_id(),
        detail=detail or {},
    )
