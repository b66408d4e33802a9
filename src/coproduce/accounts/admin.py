"""Admin for claim mappings, and the registry admin's actions on users' sign-in."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from coproduce.accounts import mfa
from coproduce.accounts.login import unlock_account
from coproduce.accounts.models import ClaimMapping
from coproduce.audit.services import record
from coproduce.people.models import Role, User
from coproduce.platform import clock


@admin.register(ClaimMapping)
class ClaimMappingAdmin(admin.ModelAdmin):
    list_display = (
        "claim",
        "value",
        "role",
        "care_team",
        "created_by",
        "approved_by",
        "approved_at",
    )
    list_filter = ("role",)
    actions = ["approve"]

    def save_model(self, request, obj, form, change):
        # A changed mapping grants something new: it waits for approval again, by someone
        # other than whoever wrote it.
        obj.approved_by, obj.approved_at = None, None
        obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Approve the selected mappings"))
    def approve(self, request, queryset):
        if request.user.role != Role.REGISTRY_ADMIN:
            self.message_user(request, _("Only a registry admin can approve."), messages.ERROR)
            return
        waiting = queryset.filter(approved_at__isnull=True)
        own = [str(m) for m in waiting if m.created_by_id == request.user.pk]
        if own:
            # Nothing is approved, not even the others selected: the admin chooses again.
            record(
                "claim_mapping.approval_refused",
                actor=request.user,
                detail={"reason": "own mapping", "mappings": own},
            )
            self.message_user(
                request,
                _(
                    "Nothing was approved: you wrote %(mappings)s, so another registry admin "
                    "must approve it."
                )
                % {"mappings": ", ".join(own)},
                messages.ERROR,
            )
            return
        with transaction.atomic():
            for mapping in waiting:
                mapping.approved_by, mapping.approved_at = request.user, clock.now()
                mapping.save(update_fields=["approved_by", "approved_at"])
                record(
                    "claim_mapping.approved",
                    actor=request.user,
                    obj=mapping,
                    detail={
                        "claim": mapping.claim,
                        "value": mapping.value,
                        "role": mapping.role,
                        "team": mapping.care_team_id,
                    },
                )


@admin.action(description=gettext_lazy("Reset the second factor (they set it up again)"))
def reset_second_factor(modeladmin, request, queryset):
    for user in queryset:
        try:
            mfa.reset_second_factor(actor=request.user, user=user)
        except mfa.NotAllowed as refusal:
            modeladmin.message_user(request, str(refusal), messages.ERROR)
        else:
            modeladmin.message_user(
                request, _("Second factor reset for %(u)s.") % {"u": user.username}
            )


@admin.action(description=gettext_lazy("Unlock (clear failed logins)"))
def unlock(modeladmin, request, queryset):
    try:
        with transaction.atomic():
            for user in queryset:
                unlock_account(actor=request.user, user=user)
    except mfa.NotAllowed as refusal:
        modeladmin.message_user(request, str(refusal), messages.ERROR)
    else:
        modeladmin.message_user(request, _("Failed logins cleared."))


# django-otp's own admin would show authenticator secrets; resets go through the action below.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

_user_admin = admin.site.get_model_admin(User)
_user_admin.actions = [*(_user_admin.actions or []), reset_second_factor, unlock]
