"""The language switch on every page (no language prefixes in URLs)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from coproduce.accounts.middleware import mfa_exempt
from coproduce.people.models import Role


@mfa_exempt
@require_POST
def set_language(request):
    """Save the chosen language (on the account when logged in, else in a cookie) and go back."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    user = request.user
    if user.is_authenticated:
        user.language = language
        user.save(update_fields=["language"])
        patient = getattr(user, "patient", None) if user.role == Role.PATIENT else None
        if patient is not None and patient.preferred_language != language:
            # The patient's own choice drives their invitations and messages too.
            patient.preferred_language = language
            patient.save(update_fields=["preferred_language"])
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
