"""Helpers for the sign-in tests: an enrolled authenticator and the codes it would show."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for(device: TOTPDevice, ahead: int = 0) -> str:
    """Return the code the app shows now (or `ahead` steps later: each code works once)."""
    device.refresh_from_db()
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - ahead * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Give `user` a confirmed authenticator and three recovery codes."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = ["aaaa2222", "bbbb3333", "cccc4444"]
    for code in codes:
        StaticToken.objects.create(device=static, token=code)
    return device, codes


def log_in(client, username: str, **extra):
    return client.post("/login/", {"username": username, "password": "pw-for-tests", **extra})


@pytest.fixture
def no_code_throttle(settings):
    # django-otp slows a device after a wrong code (1 s, 2 s ...); tests that follow a wrong
    # code with a right one at once would otherwise wait.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    _ = time
