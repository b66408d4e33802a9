"""OpenID Connect login for staff (mozilla-django-oidc), with roles from approved mappings.

The library runs the code flow, checks the state, the nonce and the ID token's signature
and expiry; here we also check its issuer and audience, link the person to one account by
(issuer, subject), and apply the registry admin's approved claim mappings, auditing every
change a login makes. See docs/security.md for setting up Entra ID, Okta and Keycloak.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from coproduce.accounts.models import ClaimMapping, ProviderIdentity
from coproduce.audit.services import record
from coproduce.people.models import STAFF_ROLES, CareTeamMembership, Role, User
from coproduce.platform import clock
from coproduce.platform.http import show_service_error

# Precedence when mappings grant several roles: the broadest clinical access wins last.
ROLE_ORDER: list[str] = [
    Role.QI_LEAD,
    Role.RESEARCHER,
    Role.COORDINATOR,
    Role.NURSE,
    Role.CLINICIAN,
    Role.REGISTRY_ADMIN,
]


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def button_label() -> str:
    """Return the label of the single sign-on button, or '' when it is not set up."""
    if not enabled():
        return ""
    return settings.COPRODUCE_OIDC_BUTTON or _("Log in with your hospital account")


def claim_values(claims: dict[str, Any], name: str) -> set[str]:
    value = claims.get(name)
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


def mapped_access(claims: dict[str, Any]) -> tuple[str | None, set[int], set[int]]:
    """Return (role, team ids granted, team ids managed by mappings) for these claims."""
    approved = ClaimMapping.objects.filter(approved_at__isnull=False)
    roles: set[str] = set()
    teams: set[int] = set()
    managed: set[int] = set()
    for mapping in approved:
        if mapping.care_team_id:
            managed.add(mapping.care_team_id)
        if mapping.value in claim_values(claims, mapping.claim):
            if mapping.role in STAFF_ROLES:  # single sign-on is for staff only
                roles.add(mapping.role)
            if mapping.care_team_id:
                teams.add(mapping.care_team_id)
    role = max(roles, key=ROLE_ORDER.index) if roles else None
    return role, teams, managed


def second_factor_reported(claims: dict[str, Any]) -> bool:
    """Return whether the provider says it checked a second factor (`amr`, RFC 8176)."""
    wanted = set(settings.COPRODUCE_OIDC_MFA_AMR)
    return bool(wanted & claim_values(claims, "amr"))


def apply_login(claims: dict[str, Any], *, issuer: str) -> User | None:
    """Find or create the account for these verified claims and apply the mappings.

    Returns None (and audits why) when no approved mapping gives the person a staff role.
    The caller owns the transaction.
    """
    subject = str(claims["sub"])
    role, teams, managed = mapped_access(claims)
    identity = (
        ProviderIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    user = identity.user if identity else _existing_staff_by_email(claims)
    if user is None:
        if role is None:
            record("oidc.refused", detail={"subject": subject, "reason": "no approved mapping"})
            return None
        user = _create_user(claims, role)
    if user.role not in STAFF_ROLES:
        record("oidc.refused", obj=user, detail={"subject": subject, "reason": "not staff"})
        return None
    if identity is None:
        identity = ProviderIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        record("oidc.linked", obj=user, detail={"issuer": issuer, "subject": subject})
    if role is not None and role != user.role:
        record(
            "user.role_changed",
            obj=user,
            detail={"from": user.role, "to": role, "source": "single sign-on", "subject": subject},
        )
        user.role = role
        user.save(update_fields=["role", "is_staff"])
    _apply_teams(user, teams, managed)
    identity.last_login_at = clock.now()
    identity.save(update_fields=["last_login_at"])
    record("oidc.login", actor=user, detail={"issuer": issuer, "amr": claims.get("amr")})
    return user


def _existing_staff_by_email(claims: dict[str, Any]) -> User | None:
    email = claims.get("email")
    if not email or claims.get("email_verified") is False:
        return None
    matches = list(User.objects.filter(email__iexact=email, role__in=STAFF_ROLES)[:2])
    return matches[0] if len(matches) == 1 else None


def _create_user(claims: dict[str, Any], role: str) -> User:
    base = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])[:140]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(
        username=username,
        email=claims.get("email") or "",
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
        role=role,
    )
    user.set_unusable_password()
    user.save()
    record("user.created", obj=user, detail={"source": "single sign-on", "role": role})
    return user


def _apply_teams(user: User, granted: set[int], managed: set[int]) -> None:
    """Join the granted teams and leave managed teams no longer granted; others stay as set."""
    current = set(user.memberships.values_list("care_team_id", flat=True))
    for team_id in sorted(granted - current):
        CareTeamMembership.objects.create(user=user, care_team_id=team_id)
        record("careteam.member_added", obj=user, detail={"team": team_id, "source": "sso"})
    for team_id in sorted((current & managed) - granted):
        CareTeamMembership.objects.filter(user=user, care_team_id=team_id).delete()
        record("careteam.member_removed", obj=user, detail={"team": team_id, "source": "sso"})


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with our identity linking and claim mappings."""

    def get_or_create_user(self, access_token, id_token, payload):
        self._check_issuer_and_audience(payload)
        claims = {**self.get_userinfo(access_token, id_token, payload), **payload}
        with transaction.atomic():
            user = apply_login(claims, issuer=payload["iss"])
        if user is None:
            show_service_error(
                self.request,
                _(
                    "Your hospital account has no role in coproduce yet. Ask your registry "
                    "admin to give your group access."
                ),
                refused=False,
            )
            return None
        # Read by the user_logged_in handler, which puts it in the new session.
        by_provider = settings.COPRODUCE_OIDC_AMR_SATISFIES_MFA and second_factor_reported(claims)
        user.mfa_by_provider = by_provider  # type: ignore[attr-defined]
        return user

    def _check_issuer_and_audience(self, payload: dict[str, Any]) -> None:
        issuer = settings.COPRODUCE_OIDC_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ID token from an unexpected issuer.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client.")
