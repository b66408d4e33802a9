"""Instrument versions in the Django admin, read-only (import with `coproduce instruments`)."""

from __future__ import annotations

from django.contrib import admin

from coproduce.instruments.models import InstrumentVersion


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    list_display = ("instrument_id", "version", "title", "kind")
    list_filter = ("kind",)
    search_fields = ("instrument_id", "title")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
