"""Headers every response carries, and the second-factor gate in front of staff pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from coproduce.accounts import mfa
from coproduce.platform.http import is_api_path, machine_refusal


class NoStoreMiddleware:
    """Forbid every cache (browser, proxy) to keep a page or API answer.

    Nearly every dynamic response here shows or can show someone's health data, and a
    shared hospital computer's back button must not bring it back after logout. Static
    files are served before this by WhiteNoise and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


def mfa_exempt(view):
    """Mark a view a staff member may open before the second-factor check (login pages)."""
    view.mfa_exempt = True
    return view


class StaffSecondFactorMiddleware:
    """Send staff who have only given a password to enrolment or verification first.

    Required for every staff role when COPRODUCE_STAFF_MFA=required; when optional, only
    for those who have enrolled. Patients and family are never asked (see docs/security.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "mfa_exempt", False) or not mfa.second_factor_pending(request):
            return None
        enrolled = mfa.is_enrolled(request)
        if is_api_path(request):
            return machine_refusal(_("Finish signing in with your second factor first."), 403)
        target = reverse("accounts:mfa-verify" if enrolled else "accounts:mfa-setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
