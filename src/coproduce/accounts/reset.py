"""Password reset: a single-use, expiring link sent by e-mail or text message.

Tokens are Django's (an HMAC over the user's password hash and last login, so a link stops
working once used or once the password changes, and after PASSWORD_RESET_TIMEOUT). The
message leaves through the notification outbox like every other message we send; the worker
removes the link from the stored copy once it has been handed to the sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.people.models import LoginFailure, Patient, Role, User
from coproduce.platform import clock
from coproduce.platform.models import Channel, Notification


@dataclass(frozen=True)
class Destination:
    channel: str
    to: str


def find_user(identifier: str) -> User | None:
    """Return the active user a username, e-mail address or (patient's) mobile number names."""
    value = identifier.strip()
    if not value:
        return None
    digits = re.sub(r"[^\d+]", "", value)
    users = User.objects.filter(is_active=True)
    found = users.filter(username__iexact=value).first()
    if found is None and "@" in value:
        found = users.filter(Q(email__iexact=value) | Q(patient__email__iexact=value)).first()
    if found is None and len(digits) >= 6:
        patient = (
            Patient.objects.filter(user__is_active=True)
            .filter(Q(phone=value) | Q(phone=digits))
            .select_related("user")
            .first()
        )
        found = patient.user if patient else None
    return found


def destination_for(user: User) -> Destination | None:
    """Return where a reset link for `user` goes: never to anyone but the account holder."""
    patient = getattr(user, "patient", None) if user.role == Role.PATIENT else None
    email = user.email or (patient.email if patient else "")
    phone = patient.phone if patient else ""
    if patient is not None and patient.preferred_channel == Channel.SMS and phone:
        return Destination(Channel.SMS, phone)
    if email:
        return Destination(Channel.EMAIL, email)
    if phone:
        return Destination(Channel.SMS, phone)
    return None


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", args=[uid, token])
    return settings.COPRODUCE_BASE_URL + path


def request_reset(identifier: str, *, ip: str | None) -> None:
    """Send a reset link to the account `identifier` names, if there is one.

    The caller shows the same page whatever happens here, so nobody learns whether an
    account exists. The caller owns the transaction.
    """
    user = find_user(identifier)
    destination = destination_for(user) if user is not None and user.has_usable_password() else None
    record(
        "password.reset_requested",
        obj=user,
        detail={"ip": ip, "sent_by": destination.channel if destination else None},
    )
    if user is None or destination is None:
        return
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    context = {"user": user, "link": reset_link(user), "minutes": minutes}
    kind = "sms" if destination.channel == Channel.SMS else "email"
    now = clock.now()
    Notification.objects.create(
        channel=destination.channel,
        to=destination.to,
        subject=_("Reset your coproduce password"),
        body=render_to_string(f"accounts/reset_{kind}.txt", context).strip(),
        purpose="password_reset",
        dedupe_key=f"password-reset:{user.pk}:{now.timestamp():.6f}",
        patient=getattr(user, "patient", None) if user.role == Role.PATIENT else None,
        next_attempt_at=now,
        created_at=now,
    )


def after_reset(user: User, *, ip: str | None) -> None:
    """A reset password clears the account's failed logins; record it."""
    LoginFailure.objects.filter(username=user.username.lower()).delete()
    record("password.reset_done", actor=user, detail={"ip": ip})
