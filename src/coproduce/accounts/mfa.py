"""Second factor for staff: authenticator apps (TOTP) and one-time recovery codes.

The devices, their secrets, replay protection and throttling of wrong codes are django-otp's;
this module decides who must use them and keeps the audit trail.
"""

from __future__ import annotations

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coproduce.audit.services import record
from coproduce.people.models import Role, User

ENROLLED_KEY = "mfa_enrolled"
PROVIDER_KEY = "mfa_by_provider"
RECOVERY_CODE_COUNT = 10


class NotAllowed(Exception):
    """The actor may not do this (the message says why)."""


def has_device(user: User) -> bool:
    """Return whether the user has a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_enrolled(request) -> bool:
    return bool(request.session.get(ENROLLED_KEY))


def is_verified(request) -> bool:
    """Return whether this session passed a second factor (ours or the provider's)."""
    verified = getattr(request.user, "is_verified", None)
    return bool((verified is not None and verified()) or request.session.get(PROVIDER_KEY))


def second_factor_pending(request) -> bool:
    """Return whether this staff session must still give (or set up) a second factor."""
    user = getattr(request, "user", None)
    if user is None or not hasattr(request, "session"):
        return False
    if not (user.is_authenticated and user.is_staff_role) or is_verified(request):
        return False
    return is_enrolled(request) or settings.STAFF_MFA == "required"


def remember_enrolment(request, user: User) -> None:
    """Note in the session whether the user has a second factor (read on every request)."""
    request.session[ENROLLED_KEY] = has_device(user)


def pending_device(user: User) -> TOTPDevice:
    """Return the user's unconfirmed authenticator (made on first use) for the setup page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """Return the otpauth:// address of a device as an inline SVG QR code."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, title=_("QR code to scan with your authenticator app")
    )


def confirm_device(request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm a new authenticator with its first code; return new recovery codes, or None."""
    user = request.user
    with transaction.atomic():
        if not device.verify_token(token):
            record("mfa.failed", actor=user, detail={"step": "setup"})
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record("mfa.enrolled", actor=user, obj=device)
    django_otp.login(request, device)
    request.session[ENROLLED_KEY] = True
    return codes


def renew_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with a fresh set and return them (shown once)."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record("mfa.recovery_renewed", actor=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def verify(request, token: str) -> bool:
    """Check a code from the app or a recovery code; on success mark the session verified."""
    user = request.user
    device = check_code(user, token)
    if device is None:
        record("mfa.failed", actor=user, detail={"step": "verify"})
        return False
    audit_code_use(user, device)
    django_otp.login(request, device)
    return True


def check_code(user: User, token: str) -> TOTPDevice | StaticDevice | None:
    """Return the device that accepts this code (app or recovery), used by the login form."""
    token = "".join(token.split()).lower()
    with transaction.atomic():
        for candidate in [
            *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
            *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True),
        ]:
            if candidate.verify_token(token):
                return candidate
    return None


def audit_code_use(user: User, device) -> None:
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        record("mfa.recovery_used", actor=user, detail={"recovery_codes_left": left})
    else:
        record("mfa.verified", actor=user)


def reset_second_factor(*, actor: User, user: User) -> None:
    """Remove another user's second factor and end their sessions (registry admins only)."""
    if actor.role != Role.REGISTRY_ADMIN:
        raise NotAllowed(_("Only a registry admin can reset a second factor."))
    if actor.pk == user.pk:
        raise NotAllowed(_("You cannot reset your own second factor; ask another registry admin."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        end_sessions(user)
        record("mfa.reset", actor=actor, obj=user, detail={"username": user.username})


def end_sessions(user: User) -> None:
    """End every session of the user, wherever it is (the caller owns the transaction)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def log_out_everywhere(request) -> None:
    """End all of the current user's sessions, this one included."""
    from django.contrib.auth import logout

    user = request.user
    with transaction.atomic():
        end_sessions(user)
        record("session.ended_everywhere", actor=user)
    logout(request)
