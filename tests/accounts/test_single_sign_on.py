"""OpenID Connect login against a real provider (oidc-provider-mock) on loopback."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from oidc_provider_mock import run_server_in_thread

from coproduce.accounts.models import ClaimMapping, ProviderIdentity
from coproduce.audit.models import AuditEvent
from coproduce.people.models import CareTeamMembership, Role, User
from coproduce.platform import clock


@pytest.fixture(scope="module")
def provider():
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso(settings, provider):
    settings.OIDC_RP_CLIENT_ID = "coproduce"
    settings.OIDC_RP_CLIENT_SECRET = "client-secret-for-tests"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/jwks"
    settings.COPRODUCE_OIDC_ISSUER = provider
    # This provider signs its ID tokens without a key id ("kid") and publishes one key;
    # Entra ID, Okta and Keycloak always send one, so production keeps the check on.
    settings.OIDC_VERIFY_KID = False
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "coproduce.accounts.oidc.StaffOIDCBackend",
    ]
    return provider


def person(provider: str, sub: str, **claims) -> None:
    """Tell the provider who `sub` is (what its ID token and userinfo will say)."""
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=10).raise_for_status()


def sign_in(client, provider: str, sub: str, next_url: str = ""):
    """Run the whole code flow: coproduce -> provider (as `sub`) -> coproduce's callback."""
    start = client.get("/oidc/authenticate/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302 and start["Location"].startswith(provider)
    answer = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}")


def approved(**fields) -> ClaimMapping:
    return ClaimMapping.objects.create(approved_at=clock.now(), **fields)


def test_the_login_page_offers_single_sign_on_when_set_up(client, db, sso):
    assert b'href="/oidc/authenticate/"' in client.get("/login/").content


def test_it_is_off_and_hidden_unless_configured(client, db):
    assert b"/oidc/authenticate/" not in client.get("/login/").content
    assert client.get("/oidc/authenticate/").status_code == 404


def test_a_new_nurse_gets_role_and_team_only_from_approved_mappings(client, world, sso):
    approved(claim="groups", value="pain-nurses", role=Role.NURSE, care_team=world.team_a)
    ClaimMapping.objects.create(claim="groups", value="rheum", care_team=world.team_b)  # unapproved
    person(
        sso,
        "u-1001",
        email="nils@hospital.example",
        preferred_username="nils",
        given_name="Nils",
        groups=["pain-nurses", "rheum"],
    )
    response = sign_in(client, sso, "u-1001")
    assert response.status_code == 302
    nils = User.objects.get(username="nils")
    assert nils.role == Role.NURSE and not nils.has_usable_password()
    assert list(nils.care_teams.all()) == [world.team_a]
    assert client.get("/team/patients/").status_code == 200
    assert ProviderIdentity.objects.get(user=nils).issuer == sso
    kinds = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"user.created", "oidc.linked", "careteam.member_added", "oidc.login"} <= kinds


def test_without_an_approved_mapping_nobody_gets_in(client, world, sso):
    ClaimMapping.objects.create(claim="groups", value="pain-nurses", role=Role.NURSE)
    person(sso, "u-1002", email="eve@hospital.example", groups=["pain-nurses"])
    response = sign_in(client, sso, "u-1002")
    assert response["Location"] == "/login/"
    assert not User.objects.filter(email="eve@hospital.example").exists()
    assert AuditEvent.objects.filter(event="oidc.refused").exists()
    assert b"no role in coproduce yet" in client.get("/login/").content


def test_a_login_changes_role_and_teams_as_the_mappings_say_and_audits_it(client, world, sso):
    world.cora.email = "cora@hospital.example"
    world.cora.save()
    approved(claim="roles", value="clinician", role=Role.CLINICIAN)
    approved(claim="groups", value="pain", care_team=world.team_a)
    approved(claim="groups", value="rheum", care_team=world.team_b)
    person(sso, "u-cora", email="cora@hospital.example", roles="clinician", groups=["rheum"])
    sign_in(client, sso, "u-cora")
    cora = User.objects.get(pk=world.cora.pk)
    assert cora.role == Role.CLINICIAN
    assert set(cora.care_teams.all()) == {world.team_b}  # left the pain team (managed)
    change = AuditEvent.objects.get(event="user.role_changed")
    assert change.detail["from"] == "coordinator" and change.detail["to"] == "clinician"
    assert AuditEvent.objects.filter(event="careteam.member_removed").count() == 1
    assert CareTeamMembership.objects.filter(user=cora).count() == 1


def test_the_providers_second_factor_counts_when_the_setting_says_so(client, world, sso, settings):
    settings.STAFF_MFA = "required"
    settings.COPRODUCE_OIDC_AMR_SATISFIES_MFA = True
    approved(claim="groups", value="pain-nurses", role=Role.NURSE, care_team=world.team_a)
    person(
        sso,
        "u-mfa",
        email="mia@hospital.example",
        preferred_username="mia",
        groups=["pain-nurses"],
        amr=["pwd", "mfa"],
    )
    person(
        sso,
        "u-pwd",
        email="per@hospital.example",
        preferred_username="per",
        groups=["pain-nurses"],
        amr=["pwd"],
    )
    sign_in(client, sso, "u-mfa")
    assert client.get("/team/patients/").status_code == 200
    other = type(client)()
    sign_in(other, sso, "u-pwd")
    assert other.get("/team/patients/")["Location"].startswith("/account/second-factor/setup/")


def test_the_providers_second_factor_does_not_count_by_default(client, world, sso, settings):
    settings.STAFF_MFA = "required"
    approved(claim="groups", value="pain-nurses", role=Role.NURSE)
    person(sso, "u-3", email="x@hospital.example", groups=["pain-nurses"], amr=["mfa"])
    sign_in(client, sso, "u-3")
    assert client.get("/team/patients/")["Location"].startswith("/account/second-factor/setup/")


def test_a_token_from_another_issuer_is_refused(client, world, sso, settings):
    settings.COPRODUCE_OIDC_ISSUER = "https://login.other.example"
    approved(claim="groups", value="pain-nurses", role=Role.NURSE)
    person(sso, "u-4", email="y@hospital.example", groups=["pain-nurses"])
    assert sign_in(client, sso, "u-4")["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_patient_cannot_be_made_by_single_sign_on(client, world, sso):
    approved(claim="groups", value="everyone", role=Role.PATIENT)
    person(sso, "u-5", email="z@hospital.example", groups=["everyone"])
    assert sign_in(client, sso, "u-5")["Location"] == "/login/"
    assert not User.objects.filter(email="z@hospital.example").exists()
