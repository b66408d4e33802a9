"""Single-use links: unguessable tokens of which only the SHA-256 digest is stored.

Check-in invitations use them, and so does every other link a patient taps without a
password (consent signing and panel surveys, in coproduce.research): `new_token` and
`token_digest_for` are the one place tokens are made and checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.conf import settings
from django.urls import reverse

from coproduce.checkins.models import (
    OPEN_STATUSES,
    Invitation,
    InvitationStatus,
    InvitationToken,
)

# token_urlsafe(32) gives 43 characters; anything far from that is not one of ours.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
LINK_RE = re.compile(r"/(c|consent|panel/survey)/[A-Za-z0-9_-]{32,64}/")
# Password-reset links (coproduce.accounts.reset) leave through the same outbox.
RESET_LINK_RE = re.compile(r"/account/password-reset/[A-Za-z0-9_-]+/[A-Za-z0-9-]+/")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """Return a fresh (token, digest): send the token once, store only the digest."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def token_digest_for(token: str) -> str | None:
    """Return the digest to look `token` up by, or None if it cannot be one of ours."""
    return digest(token) if TOKEN_RE.match(token or "") else None


def find_by_token(rows, token: str, field: str = "digest"):
    """Return the row of `rows` whose `field` holds the token's digest, or None."""
    token_digest = token_digest_for(token)
    return rows.filter(**{field: token_digest}).first() if token_digest else None


def issue_token(invitation: Invitation, *, purpose: str) -> str:
    """Store the digest of a new token for `invitation` and return the token (shown once)."""
    token, token_digest = new_token()
    InvitationToken.objects.create(invitation=invitation, digest=token_digest, purpose=purpose)
    # The newest link's digest, kept on the invitation for the admin's benefit.
    Invitation.objects.filter(pk=invitation.pk).update(token_digest=digest(token))
    return token


def link_for(token: str) -> str:
    """Return the absolute URL a patient taps to open their check-in."""
    base = getattr(settings, "COPRODUCE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("checkin-start", args=[token])


def scrub_links(text: str) -> str:
    """Remove tokens from text kept after sending, so the database holds digests only."""
    text = RESET_LINK_RE.sub("/account/password-reset/[link removed after sending]/", text)
    return LINK_RE.sub(r"/\1/[link removed after sending]/", text)


class LinkRefused(Exception):
    """A link that cannot open a check-in; `reason` picks the page the patient sees."""

    def __init__(
        self, reason: str, invitation: Invitation | None = None, detail: dict | None = None
    ):
        super().__init__(reason)
        # "unknown", "expired", "completed", "cancelled", "language", "private" (a teen's own)
        self.reason = reason
        self.invitation = invitation
        self.detail = detail or {}  # more for the audit row ("language": what and which)


def invitation_for_token(token: str, *, now: dt.datetime, for_update: bool = False) -> Invitation:
    """Return the open invitation a token opens, or raise LinkRefused saying why."""
    token_digest = token_digest_for(token)
    if token_digest is None:
        raise LinkRefused("unknown")
    rows = Invitation.objects.select_related("patient__care_team__site")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(tokens__digest=token_digest).first()
    if invitation is None:
        raise LinkRefused("unknown")
    if invitation.status == InvitationStatus.COMPLETED:
        raise LinkRefused("completed", invitation)
    if invitation.status == InvitationStatus.CANCELLED:
        raise LinkRefused("cancelled", invitation)
    if invitation.status not in OPEN_STATUSES or invitation.expires_at <= now:
        raise LinkRefused("expired", invitation)
    return invitation
