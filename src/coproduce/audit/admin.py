"""The audit log in the Django admin: searchable, never editable.

A registry admin runs the system, not anyone's care: the log shows them a patient or a
family member as "a patient" / "a family member", and searching a username finds staff only.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from coproduce.audit.models import AuditEvent
from coproduce.people.models import PATIENT_SIDE_ROLES, Role
from coproduce.platform.admin import ReadOnlyAdmin

# Who stands in for a patient-side actor in a registry admin's view.
MASKED: dict[str, StrPromise] = {Role.PATIENT: _("a patient"), Role.FAMILY: _("a family member")}
assert set(MASKED) == PATIENT_SIDE_ROLES
IDENTIFYING = ("actor", "actor_username")


def _masked(request) -> bool:
    return request.user.role == Role.REGISTRY_ADMIN


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_username", "actor_role", "event", "patient", "request_id")
    list_filter = ("event", "actor_role")
    search_fields = ("actor_username", "patient__registry_id", "request_id", "event")
    date_hierarchy = "at"
    list_select_related = ("patient",)

    @admin.display(description=_("actor"))
    def shown_actor(self, event: AuditEvent) -> str:
        masked = MASKED.get(event.actor_role)
        return event.actor_username if masked is None else str(masked)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if not _masked(request):
            return shown
        return tuple("shown_actor" if name == "actor_username" else name for name in shown)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not _masked(request) or obj is None or obj.actor_role not in PATIENT_SIDE_ROLES:
            return fields
        return ["shown_actor", *(f for f in fields if f not in IDENTIFYING)]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if not _masked(request):
            return fields
        return tuple(f for f in fields if f != "actor_username")

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if _masked(request) and search_term:
            # The username is searched among staff only.
            staff = queryset.exclude(actor_role__in=PATIENT_SIDE_ROLES).filter(
                actor_username__icontains=search_term
            )
            found = found | staff
        return found, duplicates
