"""Rules in the Django admin, read-only: they change only through the files in the repo."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from coproduce.platform.admin import ReadOnlyAdmin
from coproduce.safetynet.models import Rule


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = ("rule_id", "version", "ruleset", "title", "active", "loaded_at")
    list_filter = ("ruleset", "active")
    search_fields = ("rule_id", "title")
    readonly_fields = (
        "rule_id",
        "version",
        "ruleset",
        "title",
        "pretty",
        "source_file",
        "active",
        "loaded_at",
    )
    exclude = ("definition",)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields  # the pretty-printed definition instead of the raw JSON

    @admin.display(description="Definition")
    def pretty(self, obj: Rule) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.definition, indent=2))

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff
