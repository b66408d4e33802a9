"""Writing to the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from coproduce.audit.context import current_request_id
from coproduce.audit.events import EVENT_TYPES
from coproduce.audit.models import AuditEvent


def record(
    event: str,
    *,
    actor: Any = None,
    patient: Any = None,
    acting_for: Any = None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event and return it; an unknown event kind is a programming error."""
    if event not in EVENT_TYPES:
        raise ValueError(f"Unknown audit event {event!r}; register it in coproduce.audit.events.")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        event=event,
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        actor_role=getattr(user, "role", "") or "",
        patient=patient,
        acting_for=acting_for,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "pk", "")) if obj is not None else "",
        request_id=current_request_id(),
        detail=detail or {},
    )
