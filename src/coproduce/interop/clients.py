"""Registering, rotating and revoking the systems that call the FHIR API.

A client secret is shown once, when it is made, and kept only as a password hash. A client
that authenticates with a key set (private_key_jwt) has no secret at all; its public keys
are registered here and never fetched from anywhere at run time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils.translation import gettext as _
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from coproduce.audit.services import record
from coproduce.interop.models import AccessToken, ApiClient
from coproduce.interop.scopes import ScopeError, parse_scopes
from coproduce.people.models import STAFF_ROLES, User
from coproduce.platform import clock

# SMART Backend Services: RS384 and ES384 are the algorithms every server must support.
ALGORITHMS = ("RS384", "ES384")
TOKEN_PATH = "/fhir/R4/auth/token"  # noqa: S105 (a URL path, not a secret)


class ClientError(ValueError):
    """A registration that cannot be made; the message says why."""


@dataclass
class Registered:
    client: ApiClient
    secret: str | None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"client_id": self.client.client_id}
        if self.secret is not None:
            out["client_secret"] = self.secret
        out["token_url"] = token_url()
        out["scope"] = self.client.scope
        return out


def token_url() -> str:
    return settings.COPRODUCE_BASE_URL + TOKEN_PATH


def check_secret(client: ApiClient, secret: str) -> bool:
    return bool(client.secret_digest) and check_password(secret, client.secret_digest)


def read_jwks(data: Any) -> dict[str, Any]:
    """Check a public key set: RSA or P-384 keys for RS384/ES384, no private parts."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
        raise ClientError(_("The key set must be a JWKS object with a non-empty keys list."))
    for key in data["keys"]:
        if not isinstance(key, dict):
            raise ClientError(_("Each key in the key set must be a JSON object."))
        if not key.get("kid"):
            raise ClientError(_("Each key needs a kid (the client's assertions name it)."))
        if "d" in key:
            raise ClientError(_("The key set holds a private key: register the public key only."))
        if key.get("alg") not in (None, *ALGORITHMS):
            raise ClientError(
                _("Key algorithm %(alg)s is not accepted (RS384 or ES384).") % {"alg": key["alg"]}
            )
        if key.get("kty") == "EC" and key.get("crv") != "P-384":
            raise ClientError(_("An EC key must be on curve P-384 (ES384)."))
        if key.get("kty") not in ("RSA", "EC"):
            raise ClientError(_("Only RSA and EC keys are accepted."))
    try:
        KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:
        raise ClientError(_("The key set cannot be read: %(error)s") % {"error": exc}) from exc
    return data


def public_keys(client: ApiClient) -> KeySet:
    keys = [
        RSAKey.import_key(k) if k.get("kty") == "RSA" else ECKey.import_key(k)
        for k in (client.jwks or {}).get("keys", [])
    ]
    return KeySet(keys)  # type: ignore[arg-type]


def create_client(
    name: str, username: str, scope: str, jwks: Any = None, *, by: User | None = None
) -> Registered:
    """Register a client acting as `username`; the secret (if any) is only in the result."""
    name = name.strip()
    if not name:
        raise ClientError(_("A client needs a name."))
    if ApiClient.objects.filter(name=name).exists():
        raise ClientError(_("A client named %(name)s already exists.") % {"name": name})
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ClientError(_("No user %(username)s.") % {"username": username})
    if user.role not in STAFF_ROLES or not user.is_active:
        raise ClientError(
            _("%(username)s is not an active staff user; a system acts as a staff member.")
            % {"username": username}
        )
    try:
        if not parse_scopes(scope):
            raise ScopeError(_("Give at least one scope, e.g. system/Observation.read."))
    except ScopeError as exc:
        raise ClientError(str(exc)) from exc
    secret = None if jwks is not None else secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name,
        client_id=secrets.token_urlsafe(18),
        user=user,
        scope=" ".join(scope.split()),
        jwks=read_jwks(jwks) if jwks is not None else None,
        secret_digest=make_password(secret) if secret else "",
    )
    record("apiclient.created", actor=by, obj=client, detail=_describe(client))
    return Registered(client, secret)


def _describe(client: ApiClient) -> dict[str, Any]:
    return {"client": client.name, "user": client.user.username, "scope": client.scope}


def get_client(name: str) -> ApiClient:
    client = ApiClient.objects.select_related("user").filter(name=name).first()
    if client is None:
        raise ClientError(_("No client named %(name)s.") % {"name": name})
    return client


def revoke_client(name: str, *, by: User | None = None) -> ApiClient:
    """Withdraw a client's access: it can get no token, and its tokens stop working."""
    client = get_client(name)
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        client.save(update_fields=["revoked_at"])
        AccessToken.objects.filter(client=client).delete()
        record("apiclient.revoked", actor=by, obj=client, detail=_describe(client))
    return client


def rotate_client(name: str, jwks: Any = None, *, by: User | None = None) -> Registered:
    """Replace a client's secret (or key set); tokens issued before stop working."""
    client = get_client(name)
    if client.revoked_at is not None:
        raise ClientError(_("Client %(name)s is revoked.") % {"name": name})
    secret = None
    if client.jwks:
        if jwks is None:
            raise ClientError(
                _("Client %(name)s uses a key set: give the new one.") % {"name": name}
            )
        client.jwks = read_jwks(jwks)
    else:
        if jwks is not None:
            raise ClientError(_("Client %(name)s uses a secret, not a key set.") % {"name": name})
        secret = secrets.token_urlsafe(32)
        client.secret_digest = make_password(secret)
    client.save(update_fields=["jwks", "secret_digest"])
    AccessToken.objects.filter(client=client).delete()
    record("apiclient.rotated", actor=by, obj=client, detail=_describe(client))
    return Registered(client, secret)
