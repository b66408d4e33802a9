"""Tokens for systems: the SMART Backend Services client-credentials grant, on authlib.

authlib (a maintained OAuth 2 server library, with joserfc for the JOSE part) runs the token
endpoint: it parses the request, authenticates the client by HTTP Basic secret or by a
signed client assertion (private_key_jwt, RFC 7523), checks the grant type and the scope,
and writes RFC 6749 errors. What is ours: where clients and tokens are stored (digests
only), which signing algorithms are accepted, replay protection of assertions, and the
bearer check that turns a token back into its client's staff user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from joserfc import jwt
from joserfc.errors import JoseError
from ninja.security import HttpBearer

from coproduce.audit.services import record
from coproduce.interop.clients import ALGORITHMS, public_keys, token_url
from coproduce.interop.models import AccessToken, ApiClient, UsedAssertion
from coproduce.platform import clock

# Short-lived on purpose: SMART Backend Services suggests at most five minutes.
TOKEN_SECONDS = 300
# An assertion's exp may be at most this far ahead (SMART: "no more than five minutes").
ASSERTION_MAX_SECONDS = 300
ASSERTION_TYPE = JWTBearerClientAssertion.CLIENT_ASSERTION_TYPE


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PrivateKeyJWT(JWTBearerClientAssertion):
    """private_key_jwt with the client's registered keys, RS384/ES384 only, jti used once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self) -> list[str]:
        return [token_url()]

    def resolve_client_public_key(self, client: ApiClient):  # type: ignore[override]
        return public_keys(client)

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ALGORITHMS))
        except JoseError as exc:
            raise InvalidClientError(description=exc.description) from exc
        # Keys are registered (--jwks), never fetched: an assertion that points to keys
        # elsewhere is refused, as SMART Backend Services requires for a jku that was not
        # registered, even when a registered key signed it.
        pointed = [name for name in ("jku", "x5u") if name in token.header]
        if pointed:
            raise InvalidClientError(
                description=f"The {pointed[0]} header is not accepted: keys are registered "
                "with the client, never fetched."
            )
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims) -> None:
        """authlib's checks (iss = sub, aud, exp, a jti used once) on the application clock."""
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(clock.now().timestamp()),
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=exc.description) from exc
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="Issuer and Subject MUST match.")
        ahead = float(claims["exp"]) - clock.now().timestamp()
        if ahead > ASSERTION_MAX_SECONDS + self.leeway:
            raise InvalidClientError(description="The assertion's exp is too far ahead.")
        if not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="JWT ID is used before.")

    def validate_jti(self, claims, jti) -> bool:
        client = ApiClient.objects.get(client_id=claims["sub"])
        expires = dt.datetime.fromtimestamp(float(claims["exp"]), tz=dt.UTC)
        UsedAssertion.objects.filter(expires_at__lt=clock.now() - dt.timedelta(minutes=5)).delete()
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(client=client, jti=str(jti), expires_at=expires)
        except IntegrityError:
            return False
        return True


class SystemCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", PrivateKeyJWT.CLIENT_AUTH_METHOD]


class Server(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(ApiClient, AccessToken)

    def query_client(self, client_id: str) -> ApiClient | None:
        return (
            ApiClient.objects.select_related("user")
            .filter(client_id=client_id, revoked_at__isnull=True, user__is_active=True)
            .first()
        )

    def save_token(self, token: dict[str, Any], request) -> AccessToken:
        client = request.client
        now = clock.now()
        # Expired tokens are of no use to anyone; the audit log keeps what they did.
        AccessToken.objects.filter(expires_at__lt=now - dt.timedelta(hours=1)).delete()
        saved = AccessToken.objects.create(
            client=client,
            digest=digest(token["access_token"]),
            scope=token.get("scope", ""),
            issued_at=now,
            expires_at=now + dt.timedelta(seconds=int(token["expires_in"])),
        )
        record(
            "apiclient.token_issued",
            actor=client.user,
            obj=client,
            detail={"client": client.name, "scope": saved.scope, "token": saved.pk},
        )
        return saved


server = Server()
server.load_config({"token_expires_in": {"client_credentials": TOKEN_SECONDS}})
server.register_grant(SystemCredentialsGrant)
server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())


@csrf_exempt
@never_cache
def token_endpoint(request: HttpRequest) -> HttpResponse:
    """POST grant_type=client_credentials (+ scope, + client authentication)."""
    if request.method != "POST":
        response = HttpResponse(
            '{"error": "invalid_request", "error_description": "Use POST."}',
            status=405,
            content_type="application/json",
        )
        response["Allow"] = "POST"
        return response
    with transaction.atomic():
        response = server.create_token_response(request)
    response["Content-Type"] = "application/json"
    return response


class SystemToken(HttpBearer):
    """A bearer token from the token endpoint: the request runs as the client's staff user."""

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        found = (
            AccessToken.objects.select_related("client__user")
            .filter(
                digest=digest(token),
                expires_at__gt=clock.now(),
                client__revoked_at__isnull=True,
                client__user__is_active=True,
            )
            .first()
        )
        if found is None:
            return None
        client = found.client
        request.user = client.user
        request.api_token = found  # type: ignore[attr-defined]
        record(
            "apiclient.token_used",
            actor=client.user,
            obj=client,
            detail={"client": client.name, "token": found.pk, "path": request.path},
        )
        return found
