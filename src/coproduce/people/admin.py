"""The Django admin for registry admins: sites, care teams and users (no clinical records)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from coproduce.audit.services import record
from coproduce.instruments.library import list_definitions
from coproduce.people.models import (
    CareTeam,
    CareTeamMembership,
    Network,
    Role,
    Site,
    User,
    default_teen_confidential,
)
from coproduce.platform.names import names_form


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name",)


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        # SiteAdmin's fieldsets decide which fields the admin shows; these are checked here.
        fields = ("teen_confidential_instruments", "teen_parent_sees_band")

    def clean_teen_confidential_instruments(self) -> list[str]:
        """A list of instrument IDs the registry knows (shipped or imported, or a well-known
        substance-use screen a site may import later); a clear message for any other."""
        value = self.cleaned_data.get("teen_confidential_instruments") or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(
                _('Give a list of instrument IDs in brackets, e.g. ["phq9", "crafft"].')
            )
        known = {d.id for d in list_definitions()} | set(default_teen_confidential())
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValidationError(
                _("Unknown instrument ID: %(ids)s. Known IDs: %(known)s.")
                % {"ids": ", ".join(unknown), "known": ", ".join(sorted(known))}
            )
        return list(dict.fromkeys(value))


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    form = SiteForm
    list_display = ("name", "network", "time_zone", "teen_login_age", "urgent_contact")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("network", "name", "slug", "time_zone", "teen_login_age")}),
        (
            _("Teens' confidential questionnaires"),
            {
                "fields": ("teen_confidential_instruments", "teen_parent_sees_band"),
                "description": _(
                    "From the teen login age to 17, a parent does not see these questionnaires "
                    "answer by answer, nor answer them or get their links: the young person "
                    "does. The care team sees everything, and red flags reach it as always."
                ),
            },
        ),
        (
            _("Urgent contact"),
            {
                "fields": ("urgent_email", "urgent_phone"),
                "description": _(
                    "Required: urgent alerts (such as thoughts of self-harm) go here as well as "
                    "to the care team. Use an address or phone someone on call reads at all "
                    "times, then send a test alert."
                ),
            },
        ),
    )
    # The "send a test alert" button (a POST to the safety net's own view).
    change_form_template = "admin/people/site/change_form.html"

    @admin.display(description=_("urgent contact"))
    def urgent_contact(self, site: Site) -> str:
        return site.urgent_contact or str(_("none: urgent alerts reach only the team"))


class _MembershipFormSet(BaseInlineFormSet):
    """Nobody puts themselves in a care team: another registry admin must (and it is audited)."""

    request_user: User | None = None

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not form.has_changed():
                continue
            member = data.get("user") or getattr(form.instance, "user", None)
            if self.request_user is not None and member == self.request_user:
                raise ValidationError(
                    _("You cannot add yourself to a care team: ask another registry admin.")
                )


class MembershipInline(admin.TabularInline):
    model = CareTeamMembership
    formset = _MembershipFormSet
    extra = 1
    autocomplete_fields = ("user",)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"request_user": request.user})

    def _editable(self, request, obj) -> bool:
        return not (isinstance(obj, User) and obj.pk == request.user.pk)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj) and super().has_delete_permission(request, obj)


class AuditedMembershipsMixin:
    """Every care-team membership added or removed in the admin writes an audit row."""

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        if formset.model is not CareTeamMembership:
            return
        for membership in formset.new_objects:
            _audit_membership(request, "careteam.member_added", membership)
        for membership, _fields in formset.changed_objects:
            _audit_membership(request, "careteam.member_added", membership)
        for membership in formset.deleted_objects:
            _audit_membership(request, "careteam.member_removed", membership)


def _audit_membership(request, event: str, membership: CareTeamMembership) -> None:
    record(
        event,
        actor=request.user,
        obj=membership.user,
        detail={"team": membership.care_team_id, "source": "admin"},
    )


@admin.register(CareTeam)
class CareTeamAdmin(AuditedMembershipsMixin, admin.ModelAdmin):
    form = names_form(CareTeam)
    exclude = ("names",)
    list_display = ("name", "site")
    list_filter = ("site",)
    search_fields = ("name", "site__name")
    inlines = [MembershipInline]


@admin.register(User)
class CoproduceUserAdmin(AuditedMembershipsMixin, UserAdmin):
    """Staff and family accounts. Patients are not listed (nor found by search): their
    identities are the clinic's, not the registry admin's."""

    list_display = ("username", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "role")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "role", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(role=Role.PATIENT)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            return (*fields, "role")  # nobody changes their own role: another admin must
        return fields

    def save_model(self, request, obj, form, change):
        before = User.objects.filter(pk=obj.pk).values_list("role", flat=True).first()
        super().save_model(request, obj, form, change)
        if not change:
            record(
                "user.created",
                actor=request.user,
                obj=obj,
                detail={"source": "admin", "role": obj.role},
            )
        elif before != obj.role:
            record(
                "user.role_changed",
                actor=request.user,
                obj=obj,
                detail={"from": before, "to": obj.role, "source": "admin"},
            )
