"""Login with throttling of repeated failures, and the audit of logins."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from coproduce.audit.services import record
from coproduce.people.models import LoginFailure, User
from coproduce.platform import clock

CLINIC_ZONE_KEY = "clinic_zone"


def client_ip(request) -> str | None:
    # Behind a proxy the operator sets COPRODUCE_BEHIND_PROXY and the proxy sets REMOTE_ADDR
    # through its own header handling; we never trust X-Forwarded-For blindly.
    return request.META.get("REMOTE_ADDR") or None


def _window_start() -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def is_throttled(username: str, ip: str | None) -> bool:
    """Return whether recent failures for this username or address block another try."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    if recent.filter(username=username.lower()).count() >= settings.LOGIN_MAX_FAILURES_PER_USERNAME:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= settings.LOGIN_MAX_FAILURES_PER_IP


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        error_messages={"required": "Enter your username."},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        strip=False,
        error_messages={"required": "Enter your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        username, password = cleaned.get("username"), cleaned.get("password")
        if not username or not password:
            return cleaned
        ip = client_ip(self.request)
        if is_throttled(username, ip):
            record("login.throttled", detail={"username": username, "ip": ip})
            raise forms.ValidationError(
                f"Too many failed attempts. Wait {settings.LOGIN_FAILURE_WINDOW_MINUTES} minutes "
                "and try again, or ask your clinic to reset your password.",
                code="throttled",
            )
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            LoginFailure.objects.create(username=username.lower(), ip=ip)
            record("login.failed", detail={"username": username, "ip": ip})
            raise forms.ValidationError(
                "That username and password do not match. Check both and try again "
                "(passwords are case-sensitive).",
                code="invalid_login",
            )
        self.user = user
        return cleaned


def clinic_zone_name(user: User) -> str:
    """Return the time zone of the clinic a user works in or is cared by (UTC if none)."""
    from coproduce.people.models import Patient, Role, Site

    if user.role == Role.PATIENT:
        site = Site.objects.filter(care_teams__patients__user=user).first()
    elif user.role == Role.FAMILY:
        site = Site.objects.filter(
            care_teams__patients__in=Patient.objects.filter(proxy_links__user=user)
        ).first()
    else:
        site = Site.objects.filter(care_teams__members=user).order_by("pk").first()
    return site.time_zone if site else "UTC"


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    # Clinical dates and times are shown in the clinic's zone; remember it for the session.
    request.session[CLINIC_ZONE_KEY] = clinic_zone_name(user)
    LoginFailure.objects.filter(username=user.username.lower()).delete()
    record("login.succeeded", actor=user, detail={"ip": client_ip(request)})


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record("logout", actor=user)
