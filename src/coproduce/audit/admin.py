"""The audit log in the Django admin: searchable, never editable."""

from __future__ import annotations

from django.contrib import admin

from coproduce.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_username", "actor_role", "event", "patient", "request_id")
    list_filter = ("event", "actor_role")
    search_fields = ("actor_username", "patient__registry_id", "request_id", "event")
    date_hierarchy = "at"
    list_select_related = ("patient",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
