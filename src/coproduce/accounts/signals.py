"""Remember at login whether the user has a second factor (the gate reads the session)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from coproduce.accounts import mfa


@receiver(user_logged_in)
def _remember_enrolment(sender, request, user, **kwargs) -> None:
    if request is not None and user.is_staff_role:
        mfa.remember_enrolment(request, user)


@receiver(user_logged_in)
def _remember_provider_second_factor(sender, request, user, **kwargs) -> None:
    # Set by the single sign-on backend when the provider's `amr` reports a second factor
    # and COPRODUCE_OIDC_AMR_SATISFIES_MFA allows it to stand for ours.
    if request is not None and getattr(user, "mfa_by_provider", False):
        request.session[mfa.PROVIDER_KEY] = True
