"""Check-in links: unguessable tokens of which only the SHA-256 digest is stored."""

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
LINK_RE = re.compile(r"/c/[A-Za-z0-9_-]{32,64}/")
# Password-reset links (coproduce.accounts.reset) leave through the same outbox.
RESET_LINK_RE = re.compile(r"/account/password-reset/[A-Za-z0-9_-]+/[A-Za-z0-9-]+/")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(invitation: Invitation, *, purpose: str) -> str:
    """Store the digest of a new token for `invitation` and return the token (shown once)."""
    token = secrets.token_urlsafe(32)
    InvitationToken.objects.create(invitation=invitation, digest=digest(token), purpose=purpose)
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
    return LINK_RE.sub("/c/[link removed after sending]/", text)


class LinkRefused(Exception):
    """A link that cannot open a check-in; `reason` picks the page the patient sees."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        super().__init__(reason)
        self.reason = reason  # "unknown", "expired", "completed", "cancelled"
        self.invitation = invitation


def invitation_for_token(token: str, *, now: dt.datetime, for_update: bool = False) -> Invitation:
    """Return the open invitation a token opens, or raise LinkRefused saying why."""
    if not TOKEN_RE.match(token or ""):
        raise LinkRefused("unknown")
    rows = Invitation.objects.select_related("patient__care_team__site")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(tokens__digest=digest(token)).first()
    if invitation is None:
        raise LinkRefused("unknown")
    if invitation.status == InvitationStatus.COMPLETED:
        raise LinkRefused("completed", invitation)
    if invitation.status == InvitationStatus.CANCELLED:
        raise LinkRefused("cancelled", invitation)
    if invitation.status not in OPEN_STATUSES or invitation.expires_at <= now:
        raise LinkRefused("expired", invitation)
    return invitation
