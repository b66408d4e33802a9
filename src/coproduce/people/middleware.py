"""End staff sessions after a period of inactivity."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.people.auth import CLINIC_ZONE_KEY
from coproduce.platform.http import is_api_path, machine_refusal

_KEY = "last_activity"


class ClinicTimeZoneMiddleware:
    """Show dates and times in the zone of the user's clinic (chosen at login)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(CLINIC_ZONE_KEY) if hasattr(request, "session") else None
        if name:
            try:
                timezone.activate(ZoneInfo(name))
            except (ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff_role:
            now = time.time()
            last = request.session.get(_KEY)
            if last is not None and now - last > settings.STAFF_IDLE_TIMEOUT_MINUTES * 60:
                record("session.expired", actor=user)
                logout(request)
                if is_api_path(request):
                    # A machine client cannot follow a redirect to the login page: 401.
                    return machine_refusal(
                        _(
                            "Your session ended after %(minutes)s minutes without activity. "
                            "Log in again to continue."
                        )
                        % {"minutes": settings.STAFF_IDLE_TIMEOUT_MINUTES},
                        401,
                    )
                messages.info(
                    request,
                    f"You were logged out after {settings.STAFF_IDLE_TIMEOUT_MINUTES} minutes "
                    "without activity. Log in again to continue.",
                )
                return redirect_to_login(request.get_full_path())
            request.session[_KEY] = now
        return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in person reads in their own language (saved by the language switch; for a
    patient, their preferred language); everyone else as LocaleMiddleware chose (the
    switch's cookie, else the browser's Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user.reading_language()
            if language and translation.check_for_language(language):
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
