"""Tokens for systems (SMART Backend Services): the command, the token endpoint, bearer use."""

import base64
import datetime as dt
import hashlib
import io
import json
import re
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from coproduce.audit.models import AuditEvent
from coproduce.interop.models import AccessToken, ApiClient
from coproduce.platform import clock

TOKEN = "/fhir/R4/auth/token"


def apiclient(*args):
    out = io.StringIO()
    call_command("apiclient", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return [json.loads(line) for line in lines]


def create(name="lab", user="nina", scope="system/*.read", jwks=None, tmp_path=None):
    args = ["create", name, "--user", user, "--scope", scope]
    if jwks is not None:
        path = tmp_path / f"{name}.jwks.json"
        path.write_text(json.dumps(jwks))
        args += ["--jwks", str(path)]
    (line,) = apiclient(*args)
    return line


def basic(made):
    pair = f"{made['client_id']}:{made['client_secret']}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def get_token(client, made, scope="system/Observation.read", **auth):
    return client.post(
        TOKEN,
        {"grant_type": "client_credentials", "scope": scope},
        secure=True,  # authlib refuses OAuth over plain http (loopback aside)
        **(auth or basic(made)),
    )


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def assertion(made, key, alg, **claims):
    now = int(clock.now().timestamp())
    body = {
        "iss": made["client_id"],
        "sub": made["client_id"],
        "aud": made["token_url"],
        "exp": now + 240,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode({"alg": alg, "kid": "k1", "typ": "JWT"}, body, key, algorithms=[alg])


def jwt_post(client, made, signed, scope="system/Observation.read"):
    return client.post(
        TOKEN,
        {
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signed,
        },
        secure=True,
    )


def public_set(key):
    return {"keys": [{**key.as_dict(private=False), "kid": "k1"}]}


# The command ---------------------------------------------------------------------------------


def test_it_prints_one_json_line_and_keeps_only_a_hash_of_the_secret(world):
    made = create(scope="system/Observation.read system/Patient.read")
    assert list(made) == ["client_id", "client_secret", "token_url", "scope"]
    assert made["token_url"].endswith(TOKEN)
    assert made["scope"] == "system/Observation.read system/Patient.read"
    stored = ApiClient.objects.get(name="lab")
    assert made["client_secret"] not in stored.secret_digest
    assert check_password(made["client_secret"], stored.secret_digest)
    assert AuditEvent.objects.filter(event="apiclient.created").count() == 1


def test_a_duplicate_name_exits_1(world):
    create()
    with pytest.raises(CommandError, match="already exists") as raised:
        create(user="cora")
    assert raised.value.returncode == 1
    assert ApiClient.objects.count() == 1


@pytest.mark.parametrize(
    ("user", "scope", "message"),
    [
        ("alice-not-staff", "system/*.read", "No user"),
        ("paula", "system/*.read", "not an active staff user"),
        ("nina", "patient/*.read", "not a system scope"),
        ("nina", "system/Observation.go", "cruds"),
    ],
)
def test_it_refuses_a_bad_registration(world, user, scope, message):
    with pytest.raises(CommandError, match=message):
        create(user=user, scope=scope)
    assert not ApiClient.objects.exists()


def test_with_a_key_set_there_is_no_secret_and_private_keys_are_refused(world, tmp_path):
    key = ECKey.generate_key("P-384")
    made = create(jwks=public_set(key), tmp_path=tmp_path)
    assert "client_secret" not in made
    assert ApiClient.objects.get().secret_digest == ""
    with pytest.raises(CommandError, match="private key"):
        create(
            "leaky", jwks={"keys": [{**key.as_dict(private=True), "kid": "k"}]}, tmp_path=tmp_path
        )
    with pytest.raises(CommandError, match="P-384"):
        create("p256", jwks=public_set(ECKey.generate_key("P-256")), tmp_path=tmp_path)


def test_it_lists_revokes_and_rotates(client, world):
    made = create()
    (listed,) = apiclient("list")
    assert listed["name"] == "lab" and "client_secret" not in listed and not listed["revoked"]
    (rotated,) = apiclient("rotate", "lab")
    assert rotated["client_id"] == made["client_id"]
    assert get_token(client, made).status_code == 401  # the old secret no longer works
    assert get_token(client, rotated).status_code == 200
    apiclient("revoke", "lab")
    assert get_token(client, rotated).status_code == 401
    assert apiclient("list")[0]["revoked"] is True
    with pytest.raises(CommandError, match="No client"):
        apiclient("revoke", "nobody")


def test_rotating_ends_the_tokens_issued_before(client, world, answered):
    made = create()
    token = get_token(client, made).json()["access_token"]
    url = f"/fhir/R4/Observation?patient={world.alice.registry_id}"
    assert client.get(url, **bearer(token)).status_code == 200
    apiclient("rotate", "lab")
    assert client.get(url, **bearer(token)).status_code == 401
    assert AuditEvent.objects.filter(event="apiclient.rotated").count() == 1


def test_rotating_a_key_set_client_takes_the_new_key_set(client, world, tmp_path):
    old, new = RSAKey.generate_key(2048), ECKey.generate_key("P-384")
    made = create(jwks=public_set(old), tmp_path=tmp_path)
    with pytest.raises(CommandError, match="give the new one"):
        apiclient("rotate", "lab")
    path = tmp_path / "new.jwks.json"
    path.write_text(json.dumps(public_set(new)))
    (rotated,) = apiclient("rotate", "lab", "--jwks", str(path))
    assert list(rotated) == ["client_id", "token_url", "scope"]  # still no secret
    assert rotated["client_id"] == made["client_id"]
    refused = jwt_post(client, made, assertion(made, old, "RS384"))
    assert refused.json()["error"] == "invalid_client", refused.content
    assert jwt_post(client, made, assertion(made, new, "ES384")).status_code == 200
    secret_client = create("plain")
    with pytest.raises(CommandError, match="not a key set"):
        apiclient("rotate", "plain", "--jwks", str(path))
    assert get_token(client, secret_client).status_code == 200  # unchanged by the refusal


# The token endpoint --------------------------------------------------------------------------


def test_smart_configuration_needs_no_login_and_is_json(client, db):
    res = client.get("/fhir/R4/.well-known/smart-configuration")
    assert res.status_code == 200 and res["Content-Type"] == "application/json"
    config = res.json()
    assert config["token_endpoint"].endswith(TOKEN)
    assert config["grant_types_supported"] == ["client_credentials"]
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "private_key_jwt",
        "client_secret_basic",
    }
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]


def test_the_smart_configuration_lists_every_scope_the_server_takes(client, world):
    from coproduce.interop.scopes import parse_scope, permits

    scopes = client.get("/fhir/R4/.well-known/smart-configuration").json()["scopes_supported"]
    for scope in scopes:
        parse_scope(scope)  # each one is a system scope the token endpoint reads
    # The writes: a scheduling system's and a kiosk's, in both SMART spellings.
    for written in (
        "system/Appointment.write",
        "system/Appointment.cu",
        "system/QuestionnaireResponse.write",
        "system/QuestionnaireResponse.c",
    ):
        assert written in scopes, written
    assert permits(" ".join(scopes), "Appointment", "u")
    assert permits(" ".join(scopes), "QuestionnaireResponse", "c")
    assert not permits(" ".join(scopes), "Observation", "c")  # no write offered where none is
    # A client given everything is granted each listed scope as asked.
    made = create(scope="system/*.cruds")
    res = get_token(client, made, scope=" ".join(scopes))
    assert res.status_code == 200, res.content
    assert res.json()["scope"].split() == scopes


def test_a_secret_gets_a_short_lived_token(client, world):
    made = create(scope="system/Observation.read system/Patient.read")
    res = get_token(client, made, scope="system/Observation.read")
    assert res.status_code == 200, res.content
    assert res["Content-Type"] == "application/json"
    assert "no-store" in res["Cache-Control"]
    body = res.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/Observation.read"
    stored = AccessToken.objects.get()
    assert body["access_token"] not in stored.digest
    assert AuditEvent.objects.filter(event="apiclient.token_issued").count() == 1


def test_the_token_endpoint_answers_oauth_errors_as_json(client, world):
    made = create(scope="system/Observation.read")
    wrong = {**made, "client_secret": "nope"}
    res = get_token(client, made, **basic(wrong))
    assert (res.status_code, res.json()["error"]) == (401, "invalid_client")
    assert res["Content-Type"] == "application/json"
    res = get_token(client, made, scope="system/Patient.read")
    assert (res.status_code, res.json()["error"]) == (400, "invalid_scope")
    res = client.post(TOKEN, {"grant_type": "password"}, secure=True, **basic(made))
    assert res.json()["error"] == "unsupported_grant_type"
    res = client.get(TOKEN)
    assert res.status_code == 405 and res["Content-Type"] == "application/json"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("alg", "make"),
    [("ES384", lambda: ECKey.generate_key("P-384")), ("RS384", lambda: RSAKey.generate_key(2048))],
)
def test_a_signed_assertion_gets_a_token_once(client, world, tmp_path, alg, make):
    key = make()
    made = create(jwks=public_set(key), tmp_path=tmp_path)
    signed = assertion(made, key, alg)
    res = jwt_post(client, made, signed)
    assert res.status_code == 200, res.content
    replay = jwt_post(client, made, signed)
    assert replay.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 1


def test_it_refuses_assertions_it_must_not_trust(client, world, tmp_path):
    key = RSAKey.generate_key(2048)
    made = create(jwks=public_set(key), tmp_path=tmp_path)
    other = RSAKey.generate_key(2048)
    for signed in (
        assertion(made, key, "RS256"),  # not an algorithm SMART backend services allow here
        assertion(made, other, "RS384"),  # not the registered key
        assertion(made, key, "RS384", aud="https://elsewhere.example/token"),
        assertion(made, key, "RS384", exp=int(clock.now().timestamp()) - 600),
        assertion(made, key, "RS384", exp=int(clock.now().timestamp()) + 3600),  # > 5 minutes
        assertion(made, key, "RS384", iss="someone-else"),
    ):
        res = jwt_post(client, made, signed)
        assert res.json()["error"] == "invalid_client", res.content
    # A secret client cannot use an assertion, nor a key-set client a secret.
    assert get_token(client, made, **basic({**made, "client_secret": "x"})).status_code == 401
    assert not AccessToken.objects.exists()


def test_keys_named_in_an_assertion_are_never_fetched(client, world, tmp_path):
    """jku and x5u point to keys elsewhere: refused, and nothing is fetched from there."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    key, attacker = RSAKey.generate_key(2048), RSAKey.generate_key(2048)
    served = json.dumps(public_set(attacker)).encode()
    asked: list[str] = []

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(served)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        where = f"http://127.0.0.1:{server.server_port}/jwks.json"
        made = create(jwks=public_set(key), tmp_path=tmp_path)
        now = int(clock.now().timestamp())
        for signer, header in (
            (attacker, {"jku": where}),  # the attacker's own keys, served there
            (key, {"jku": where}),  # even the registered key: a jku that was never registered
            (attacker, {"x5u": where}),
            (key, {"x5u": where}),
        ):
            claims = {
                "iss": made["client_id"],
                "sub": made["client_id"],
                "aud": made["token_url"],
                "exp": now + 240,
                "jti": uuid.uuid4().hex,
            }
            signed = jwt.encode(
                {"alg": "RS384", "kid": "k1", "typ": "JWT", **header},
                claims,
                signer,
                algorithms=["RS384"],
            )
            res = jwt_post(client, made, signed)
            assert res.json()["error"] == "invalid_client", header
        assert asked == []  # the key server was never contacted
        assert not AccessToken.objects.exists()
        # The same registered key without those headers is taken: the refusal was the header.
        assert jwt_post(client, made, assertion(made, key, "RS384")).status_code == 200
    finally:
        server.shutdown()
        server.server_close()


# Using the token -----------------------------------------------------------------------------


def _token(client, made, scope):
    res = get_token(client, made, scope=scope)
    assert res.status_code == 200, res.content
    return res.json()["access_token"]


def test_a_token_reads_what_its_staff_user_may_see_and_is_audited(client, world, answered):
    made = create(scope="system/*.read")
    token = _token(client, made, "system/Observation.read")
    res = client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id}, **bearer(token))
    assert res.status_code == 200 and res.json()["total"] == 2
    used = AuditEvent.objects.filter(event="apiclient.token_used").get()
    assert (used.actor, used.detail["client"]) == (world.nina, "lab")
    viewed = AuditEvent.objects.filter(event="patient.viewed", patient=world.alice).get()
    assert viewed.actor == world.nina
    assert viewed.detail == {"page": "fhir search", "resource": "Observation", "client": "lab"}
    outsider = create("outsider", user="carl", scope="system/*.read")
    other = _token(client, outsider, "system/Observation.read")
    res = client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id}, **bearer(other))
    assert res.status_code == 404


def test_scopes_narrow_what_a_token_may_do(client, world, answered):
    made = create(scope="system/Observation.rs system/Patient.read")
    token = _token(client, made, "system/Observation.rs")
    res = client.get("/fhir/R4/Patient", **bearer(token))
    assert res.status_code == 403 and res["Content-Type"] == "application/fhir+json"
    assert res.json()["issue"][0]["code"] == "forbidden"
    res = client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id}, **bearer(token))
    assert res.status_code == 200


def test_an_expired_revoked_or_unknown_token_is_refused(client, world, answered):
    made = create()
    token = _token(client, made, "system/Observation.read")
    url = f"/fhir/R4/Observation?patient={world.alice.registry_id}"
    assert client.get(url, **bearer("made-up")).status_code == 401
    with clock.frozen(clock.now() + dt.timedelta(seconds=301)):
        res = client.get(url, **bearer(token))
        assert res.status_code == 401 and res.json()["issue"][0]["code"] == "login"
    assert client.get(url, **bearer(token)).status_code == 200
    apiclient("revoke", "lab")
    assert client.get(url, **bearer(token)).status_code == 401


def _docs_examples() -> list[str]:
    """The Python blocks of docs/api.md's example of a system getting a token."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("### Example: a system pages through a patient's Observations", 1)[1]
    return re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)


@pytest.mark.django_db(transaction=True)
def test_the_docs_api_md_examples_run_against_a_live_server(
    live_server, settings, world, record, tmp_path, monkeypatch, capsys
):
    """Both blocks of docs/api.md, as written, with requests, over HTTP to a live server.

    Only the server's address and the patient differ, and pages are of 3 so that the loop
    follows next links."""
    settings.COPRODUCE_BASE_URL = live_server.url  # the token URL and the assertion's aud
    paging, signed = _docs_examples()
    made = create(scope="system/Observation.read")
    code = (
        paging.replace("https://clinic.example/fhir/R4/", f"{live_server.url}/fhir/R4/")
        .replace("CP-7K3M9QXA", world.alice.registry_id)
        .replace("_count=50", "_count=3")
    )
    exec(code, {"client_id": made["client_id"], "client_secret": made["client_secret"]})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 7  # 3 PHQ-9 + 3 PEG + 1 GAD-7, newest first, over 3 pages
    assert printed[0].split()[0] == "2026-02-03T12:00:00+00:00" and printed[0].endswith(" 14")
    assert AuditEvent.objects.filter(event="apiclient.token_used").count() == 3

    key = ECKey.generate_key("P-384")
    keyed = create("keyed", jwks=public_set(key), tmp_path=tmp_path)
    (tmp_path / "private-p384.pem").write_bytes(key.as_pem(private=True))
    monkeypatch.chdir(tmp_path)
    found = {"client_id": keyed["client_id"], "token_url": keyed["token_url"]}
    # The example stamps its assertion with time.time(); the server checks it on the
    # application clock, which a test run may have moved (COPRODUCE_TODAY): let both read
    # the same time, as a real client's and server's do.
    monkeypatch.setattr(time, "time", lambda: clock.now().timestamp())
    exec(signed, found)  # noqa: S102
    (issued,) = AccessToken.objects.filter(client__name="keyed")
    assert issued.digest == hashlib.sha256(found["token"].encode()).hexdigest()
