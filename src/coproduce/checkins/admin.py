"""Programs and their schedules in the Django admin (changes re-plan pending invitations)."""

from __future__ import annotations

from django.contrib import admin

from coproduce.checkins.models import Program, Schedule
from coproduce.platform.names import names_form


class ScheduleInline(admin.StackedInline):
    model = Schedule
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = names_form(Program)
    exclude = ("names",)
    list_display = ("name", "slug", "condition")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ScheduleInline]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "kind", "active")
    list_filter = ("kind", "program", "active")
