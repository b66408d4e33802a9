"""Throttling slows a guesser without letting a stranger lock a clinician out."""

from __future__ import annotations

import datetime as dt

import pytest

from coproduce.accounts import login as throttle
from coproduce.accounts import mfa
from coproduce.audit.models import AuditEvent
from coproduce.people.models import LoginFailure
from coproduce.platform import clock
from tests.accounts.conftest import code_for, enrol

RIGHT = "pw-for-tests"


def attempt(client, username, password, ip, **extra):
    data = {"username": username, "password": password, **extra}
    return client.post("/login/", data, REMOTE_ADDR=ip)


def failures_from_many_addresses(username: str, n: int) -> None:
    now = clock.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(username=username, ip=f"10.9.{i // 250}.{i % 250 + 1}", at=now)
        for i in range(n)
    )


def test_delays_double_after_the_free_failures_up_to_a_limit(settings):
    settings.LOGIN_FREE_FAILURES = 3
    settings.LOGIN_MAX_DELAY_SECONDS = 300
    assert [throttle.delay_after(n) for n in range(7)] == [0, 0, 0, 1, 2, 4, 8]
    assert throttle.delay_after(40) == 300


def test_one_address_is_slowed_for_that_account_only(client, world):
    for _ in range(3):
        attempt(client, "nina", "wrong", "10.0.0.1")
    # Three more failures, as if the guesser had waited out each delay: the next waits 8 s.
    LoginFailure.objects.bulk_create(LoginFailure(username="nina", ip="10.0.0.1") for _ in "123")
    refused = attempt(client, "nina", RIGHT, "10.0.0.1")
    assert refused.status_code == 400
    assert b"Too many failed attempts. Wait " in refused.content
    assert "_auth_user_id" not in client.session
    # Nina herself, at her own desk, is not slowed.
    assert attempt(type(client)(), "nina", RIGHT, "10.0.0.2").status_code == 302
    # Nor is a colleague from the guesser's address.
    assert attempt(type(client)(), "cora", RIGHT, "10.0.0.1").status_code == 302


def test_the_delay_runs_out(world):
    for _ in range(4):
        LoginFailure.objects.create(username="nina", ip="10.0.0.1")
    last = LoginFailure.objects.latest("at").at
    assert throttle.wait_seconds("nina", "10.0.0.1", now=last) == 2
    assert throttle.wait_seconds("nina", "10.0.0.1", now=last + dt.timedelta(seconds=2)) == 0


def test_an_address_guessing_many_accounts_waits_out_the_window(client, world, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 5
    for name in ["a", "b", "c", "d", "e"]:
        attempt(client, name, "wrong", "10.0.0.7")
    refused = attempt(client, "cora", RIGHT, "10.0.0.7")
    assert refused.status_code == 400 and b"Wait 15 minutes" in refused.content
    assert AuditEvent.objects.filter(event="login.throttled").exists()


def test_a_distributed_guesser_cannot_lock_out_staff_with_a_second_factor(
    client, world, settings, no_code_throttle
):
    settings.STAFF_MFA = "required"
    device, _codes = enrol(world.nina)
    failures_from_many_addresses("nina", settings.LOGIN_MAX_FAILURES_PER_USERNAME)
    asked = attempt(client, "nina", RIGHT, "10.0.0.2")
    assert asked.status_code == 400
    assert b"enter the code from your authenticator app" in asked.content
    assert b'name="code"' in asked.content
    wrong = attempt(client, "nina", RIGHT, "10.0.0.2", code="000000")
    assert wrong.status_code == 400 and b"That code is not right." in wrong.content
    ok = attempt(client, "nina", RIGHT, "10.0.0.2", code=code_for(device))
    assert ok.status_code == 302
    # The code given with the password counts as the second factor.
    assert client.get("/team/patients/").status_code == 200


def test_a_guessed_password_alone_does_not_pass_an_account_under_attack(client, world, settings):
    enrol(world.nina)
    failures_from_many_addresses("nina", settings.LOGIN_MAX_FAILURES_PER_USERNAME)
    assert attempt(client, "nina", RIGHT, "10.0.0.3").status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_account_without_a_second_factor_under_attack_is_paused(client, world, settings):
    failures_from_many_addresses(
        world.alice.user.username, settings.LOGIN_MAX_FAILURES_PER_USERNAME
    )
    refused = attempt(client, world.alice.user.username, RIGHT, "10.0.0.4")
    assert refused.status_code == 400
    assert b"Forgot your password?" in refused.content


def test_the_second_factor_page_is_not_blocked_by_password_throttling(client, world):
    device, _codes = enrol(world.nina)
    attempt(client, "nina", RIGHT, "10.0.0.5")
    failures_from_many_addresses("nina", 50)
    response = client.post("/account/second-factor/", {"code": code_for(device)})
    assert response.status_code == 302


def test_a_registry_admin_unlocks_an_account(world):
    failures_from_many_addresses("nina", 12)
    assert throttle.unlock_account(actor=world.adam, user=world.nina) == 12
    assert not throttle.account_under_attack("nina")
    event = AuditEvent.objects.get(event="account.unlocked")
    assert event.actor == world.adam and event.detail == {"cleared": 12}


def test_only_a_registry_admin_unlocks(world):
    failures_from_many_addresses("cora", 3)
    with pytest.raises(mfa.NotAllowed):
        throttle.unlock_account(actor=world.nina, user=world.cora)
    assert LoginFailure.objects.filter(username="cora").count() == 3


def test_the_unlock_action_in_the_user_admin(client, world):
    failures_from_many_addresses("nina", 4)
    client.force_login(world.adam)
    response = client.post(
        "/admin/people/user/",
        {"action": "unlock", "_selected_action": [world.nina.pk]},
        follow=True,
    )
    assert b"Failed logins cleared." in response.content
    assert not LoginFailure.objects.filter(username="nina").exists()
