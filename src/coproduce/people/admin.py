"""The Django admin for registry admins: sites, care teams and users (no clinical records)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from coproduce.people.models import CareTeam, CareTeamMembership, Network, Site, User


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name",)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "network", "time_zone", "teen_login_age", "urgent_contact")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("network", "name", "slug", "time_zone", "teen_login_age")}),
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


class MembershipInline(admin.TabularInline):
    model = CareTeamMembership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "site")
    list_filter = ("site",)
    search_fields = ("name", "site__name")
    inlines = [MembershipInline]


@admin.register(User)
class CoproduceUserAdmin(UserAdmin):
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
