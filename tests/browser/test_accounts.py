"""Sign-in in a real browser: enrolment, TOTP, a recovery code, password reset, single sign-on."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time

import pytest
import requests
from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import expect

from coproduce.accounts.models import ClaimMapping
from coproduce.people.models import Role, User
from coproduce.platform import clock, delivery
from tests.browser.conftest import check, log_in, log_out


def code(secret: str, ahead: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, t0=-ahead * 30):06d}"


@pytest.fixture
def required(settings):
    settings.STAFF_MFA = "required"


def test_enrol_then_log_in_with_the_app_and_with_a_recovery_code(demo, page, required):
    log_in(page, "nurse")
    assert "/account/second-factor/setup/" in page.url
    check(page, "mfa-setup")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on the second factor").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    time.sleep(1.1)  # django-otp slows the next try by a second after a wrong code
    page.get_by_label("Code").fill(code(secret))
    page.get_by_role("button", name="Turn on the second factor").click()
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    check(page, "mfa-recovery-codes")
    recovery = page.locator(".recovery-codes code").all_inner_texts()
    assert len(recovery) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    assert page.url.endswith("/team/patients/")
    log_out(page)

    log_in(page, "nurse")
    assert "/account/second-factor/" in page.url
    check(page, "mfa-verify")
    page.get_by_label("Code").fill(code(secret, ahead=1))
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/team/patients/")
    log_out(page)

    log_in(page, "nurse")
    page.get_by_label("Code").fill(recovery[0])
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/team/patients/")
    check(page, "mfa-after-recovery-code")


def test_forgot_password_by_email(demo, page):
    nurse = User.objects.get(username="nurse")
    nurse.email = "nurse@example.org"
    nurse.save()
    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    check(page, "password-reset-ask")
    page.get_by_label("Username, e-mail address or mobile number").fill("nurse@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("h1")).to_have_text("Check your messages")
    check(page, "password-reset-sent")
    delivery.send_pending(clock.now() + dt.timedelta(seconds=1))
    # The reset e-mail, wherever it is among what the outbox sent (the demo's own mail goes too).
    reset = re.compile(r"https?://\S+/account/password-reset/\S+/")
    link = next(m.group(0) for e in mail.outbox if (m := reset.search(e.body)))
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    check(page, "password-reset-choose")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase 9")
    page.get_by_label("New password confirmation").fill("a brand new passphrase 9")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    check(page, "password-reset-done")
    log_in(page, "nurse", "a brand new passphrase 9")
    assert page.url.endswith("/team/patients/")


def test_single_sign_on_through_a_real_provider(demo, page, settings):
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        provider = f"http://localhost:{server.server_port}"
        settings.OIDC_RP_CLIENT_ID = "coproduce"
        settings.OIDC_RP_CLIENT_SECRET = "client-secret-for-tests"
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/oauth2/authorize"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/oauth2/token"
        settings.OIDC_OP_USER_ENDPOINT = f"{provider}/userinfo"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/jwks"
        settings.OIDC_VERIFY_KID = False  # this provider's tokens carry no key id
        settings.COPRODUCE_OIDC_ISSUER = provider
        settings.COPRODUCE_OIDC_BUTTON = "Log in with Region Hospital"
        settings.AUTHENTICATION_BACKENDS = [
            "django.contrib.auth.backends.ModelBackend",
            "coproduce.accounts.oidc.StaffOIDCBackend",
        ]
        ClaimMapping.objects.create(
            claim="groups", value="pain-clinicians", role=Role.CLINICIAN, approved_at=clock.now()
        )
        requests.put(
            f"{provider}/users/sso-17",
            json={
                "email": "sam@hospital.example",
                "preferred_username": "sam",
                "given_name": "Sam",
                "family_name": "Berg",
                "groups": ["pain-clinicians"],
            },
            timeout=10,
        ).raise_for_status()
        page.goto("/login/")
        check(page, "login-with-sso")
        page.get_by_role("link", name="Log in with Region Hospital").click()
        page.wait_for_url(f"{provider}/**")
        page.locator("input[name=sub]").fill("sso-17")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url("**/team/patients/")
        assert "Sam Berg" in page.locator("header").inner_text()
        check(page, "after-sso")
    assert User.objects.get(username="sam").role == Role.CLINICIAN
