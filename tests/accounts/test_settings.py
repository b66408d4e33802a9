"""The second factor is required by default in production and optional in demo and test."""

import os
import subprocess
import sys


def staff_mfa(env: dict) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COPRODUCE_")}
    clean.update(env)
    done = subprocess.run(
        [sys.executable, "-c", "import coproduce.settings as s; print(s.STAFF_MFA)"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


PRODUCTION = {
    "COPRODUCE_SECRET_KEY": "x" * 40,
    "COPRODUCE_PSEUDONYM_KEY": "p" * 40,
    "COPRODUCE_BASE_URL": "https://care.example.org",
}


def test_it_requires_a_second_factor_for_staff_in_production():
    assert staff_mfa(PRODUCTION) == "required"


def test_it_keeps_demo_logins_working_without_one():
    assert staff_mfa({"COPRODUCE_MODE": "demo"}) == "optional"
    assert staff_mfa({"COPRODUCE_MODE": "test"}) == "optional"


def test_an_operator_can_turn_it_off_in_production_or_on_in_demo():
    assert staff_mfa({**PRODUCTION, "COPRODUCE_STAFF_MFA": "optional"}) == "optional"
    assert staff_mfa({"COPRODUCE_MODE": "demo", "COPRODUCE_STAFF_MFA": "required"}) == "required"
