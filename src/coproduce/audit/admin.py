"""The audit log in the Django admin: searchable, never editable."""

from __future__ import annotations

from django.contrib import admin

from coproduce.audit.models import AuditEvent
from coproduce.platform.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_username", "actor_role", "event", "patient", "request_id")
    list_filter = ("event", "actor_role")
    search_fields = ("actor_username", "patient__registry_id", "request_id", "event")
    date_hierarchy = "at"
    list_select_related = ("patient",)
