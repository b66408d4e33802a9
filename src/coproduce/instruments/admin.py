"""Instrument versions in the Django admin, read-only (import with `coproduce instruments`)."""

from __future__ import annotations

from django.contrib import admin

from coproduce.instruments.models import InstrumentVersion
from coproduce.platform.admin import ReadOnlyAdmin


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(ReadOnlyAdmin):
    list_display = ("instrument_id", "version", "title", "kind")
    list_filter = ("kind",)
    search_fields = ("instrument_id", "title")
