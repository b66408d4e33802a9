"""Systems that call the FHIR API (SMART Backend Services clients) and their tokens.

Secrets and tokens are stored only as digests: a leaked database gives nobody a way in.
"""

from __future__ import annotations

from django.db import models

from coproduce.platform import clock


class ApiClient(models.Model):
    """A registered system; it acts as its staff user, narrowed by its scopes."""

    name = models.CharField(max_length=100, unique=True)
    client_id = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="api_clients")
    # Space-separated SMART system scopes; as long as they come (every scope in the SMART
    # configuration together is longer than any fixed limit would be sure to hold).
    scope = models.TextField(help_text="space-separated SMART system scopes")
    secret_digest = models.CharField(
        max_length=200, blank=True, help_text="hash of the client secret (empty with a key set)"
    )
    jwks = models.JSONField(
        null=True, blank=True, help_text="public key set for private_key_jwt (never fetched)"
    )
    created_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def auth_method(self) -> str:
        return "private_key_jwt" if self.jwks else "client_secret_basic"

    # authlib's ClientMixin ------------------------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes this client holds; None (invalid_scope) when none is held."""
        from coproduce.interop.scopes import allowed_scope

        return allowed_scope(self.scope, scope or "") or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        from coproduce.interop.clients import check_secret

        return check_secret(self, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class AccessToken(models.Model):
    """A short-lived bearer token; only its SHA-256 digest is kept."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    scope = models.TextField()
    issued_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token {self.pk} of {self.client_id}"


class UsedAssertion(models.Model):
    """A client assertion's jti, kept until it expires so it cannot be replayed."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="assertion_jti_once")]

    def __str__(self) -> str:
        return self.jti


class SystemSubmission(models.Model):
    """Which registered system sent a check-in through the FHIR API (its author)."""

    response = models.OneToOneField(
        "checkins.CheckinResponse", on_delete=models.PROTECT, related_name="system_submission"
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="submissions")
    at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"check-in {self.response_id} from {self.client_id}"
