"""The login form and the throttling of wrong passwords.

Failures are counted in the database so every web process sees them. The throttle must slow
a guesser without letting a stranger lock a named clinician out:

- per account *and address*: after a few free failures each further try from that address
  waits twice as long as the last (1 s, 2 s, 4 s ... up to LOGIN_MAX_DELAY_SECONDS); the
  account's owner, elsewhere, is not slowed;
- per address: too many failures for any accounts and that address waits out the window;
- per account from all addresses: when a distributed guesser reaches the limit the password
  alone is no longer enough; someone with a second factor still logs in by giving its code
  with the password (so staff cannot be locked out), others wait or reset their password.
"""

from __future__ import annotations

import datetime as dt
import math

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from coproduce.accounts import mfa
from coproduce.audit.services import record
from coproduce.people.auth import client_ip
from coproduce.people.models import LoginFailure, Role, User
from coproduce.platform import clock


def _recent():
    start = clock.now() - dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    return LoginFailure.objects.filter(at__gte=start)


def delay_after(failures: int) -> int:
    """Return the seconds to wait after `failures` failures from one address for one account."""
    extra = failures - settings.LOGIN_FREE_FAILURES
    if extra < 0:
        return 0
    return min(2**extra, settings.LOGIN_MAX_DELAY_SECONDS)


def wait_seconds(username: str, ip: str | None, now: dt.datetime | None = None) -> int:
    """Return how long this address must wait before trying `username` again (0: try now)."""
    now = now or clock.now()
    recent = _recent()
    if ip and recent.filter(ip=ip).count() >= settings.LOGIN_MAX_FAILURES_PER_IP:
        first = recent.filter(ip=ip).earliest("at").at
        window = dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
        return max(1, math.ceil((first + window - now).total_seconds()))
    pair = recent.filter(username=username.lower(), ip=ip)
    failures = pair.count()
    if failures < settings.LOGIN_FREE_FAILURES:
        return 0
    last = pair.latest("at").at
    return max(0, math.ceil(delay_after(failures) - (now - last).total_seconds()))


def account_under_attack(username: str) -> bool:
    """Return whether failures from all addresses reached the per-account limit."""
    failures = _recent().filter(username=username.lower()).count()
    return failures >= settings.LOGIN_MAX_FAILURES_PER_USERNAME


def unlock_account(*, actor: User, user: User) -> int:
    """Clear an account's failed logins (registry admins only); return how many were cleared."""
    if actor.role != Role.REGISTRY_ADMIN:
        raise mfa.NotAllowed(gettext("Only a registry admin can unlock an account."))
    cleared, _rows = LoginFailure.objects.filter(username=user.username.lower()).delete()
    record("account.unlocked", actor=actor, obj=user, detail={"cleared": cleared})
    return cleared


def _wait_message(seconds: int) -> str:
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Too many failed attempts. Wait %(n)d minute and try again.",
            "Too many failed attempts. Wait %(n)d minutes and try again.",
            minutes,
        ) % {"n": minutes}
    return ngettext(
        "Too many failed attempts. Wait %(n)d second and try again.",
        "Too many failed attempts. Wait %(n)d seconds and try again.",
        seconds,
    ) % {"n": seconds}


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"required": _("Enter your username.")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Enter your password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user: User | None = None
        self.device = None  # the second factor given on this form, if any
        self.ask_for_code = False
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        username, password = cleaned.get("username"), cleaned.get("password")
        if not username or not password:
            return cleaned
        ip = client_ip(self.request)
        wait = wait_seconds(username, ip)
        if wait:
            record("login.throttled", detail={"username": username, "ip": ip, "wait": wait})
            raise forms.ValidationError(_wait_message(wait), code="throttled")
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            LoginFailure.objects.create(username=username.lower(), ip=ip)
            record("login.failed", detail={"username": username, "ip": ip})
            raise forms.ValidationError(
                gettext(
                    "That username and password do not match. Check both and try again "
                    "(passwords are case-sensitive)."
                ),
                code="invalid_login",
            )
        if account_under_attack(username):
            self._second_factor_or_refuse(user, cleaned.get("code") or "", ip)
        self.user = user
        return cleaned

    def _second_factor_or_refuse(self, user: User, code: str, ip: str | None) -> None:
        """Let the owner of an account under attack in with a second factor, if they have one."""
        if not mfa.has_device(user):
            record("login.throttled", actor=None, detail={"username": user.username, "ip": ip})
            raise forms.ValidationError(
                gettext(
                    "This account had many failed logins, so it is paused for %(n)d minutes. "
                    "Try again later, or use Forgot your password? to get a link."
                )
                % {"n": settings.LOGIN_FAILURE_WINDOW_MINUTES},
                code="throttled",
            )
        self.ask_for_code = True
        if not code:
            raise forms.ValidationError(
                gettext(
                    "This account had many failed logins. To log in now, enter the code from "
                    "your authenticator app (or a recovery code) as well as your password."
                ),
                code="code_needed",
            )
        device = mfa.check_code(user, code)
        if device is None:
            record("mfa.failed", actor=user, detail={"step": "login", "ip": ip})
            raise forms.ValidationError(gettext("That code is not right."), code="bad_code")
        self.device = device
