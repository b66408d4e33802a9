"""Study set-up in the Django admin (registry admins).

Deliberately absent: allocations, stratum counters, the randomisation seed (not editable,
never shown), consents and the screening log. The admin is a door too, and concealment
and patients' research data must hold there (see research/access.py).
"""

from __future__ import annotations

from django.contrib import admin

from coproduce.research.models import (
    Arm,
    ConfirmedCriterion,
    ConsentDocument,
    Study,
    StudyStaff,
)


class ArmInline(admin.TabularInline):
    model = Arm
    extra = 0


class CriterionInline(admin.TabularInline):
    model = ConfirmedCriterion
    extra = 0


class StaffInline(admin.TabularInline):
    model = StudyStaff
    extra = 0
    autocomplete_fields = ()


class ConsentDocumentInline(admin.StackedInline):
    model = ConsentDocument
    extra = 0
    # The PI puts a version in force from the study page; the admin only drafts it.
    readonly_fields = ("signed_off_by", "signed_off_at")


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "protocol_version", "active")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("sites",)
    inlines = [ArmInline, CriterionInline, StaffInline, ConsentDocumentInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a study with participants is history; end it with `active`
