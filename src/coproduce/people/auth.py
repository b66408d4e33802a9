"""Who is logging in from where, the clinic zone of a session, and the audit of logins.

The login form and its throttling are in coproduce.accounts.login.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from coproduce.audit.services import record
from coproduce.people.models import LoginFailure, User

CLINIC_ZONE_KEY = "clinic_zone"


def client_ip(request) -> str | None:
    # Behind a proxy the operator sets COPRODUCE_BEHIND_PROXY and the proxy sets REMOTE_ADDR
    # through its own header handling; we never trust X-Forwarded-For blindly.
    return request.META.get("REMOTE_ADDR") or None


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
    # Only this address's failures: a guesser elsewhere keeps the delays it has earned.
    LoginFailure.objects.filter(username=user.username.lower(), ip=client_ip(request)).delete()
    record("login.succeeded", actor=user, detail={"ip": client_ip(request)})


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record("logout", actor=user)
