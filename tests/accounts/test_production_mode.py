"""In production mode behind an HTTPS proxy a password alone reaches only enrolment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_password_alone_reaches_only_second_factor_enrolment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPRODUCE_", "DATABASE_"))}
    env.update(
        {
            "COPRODUCE_MODE": "production",
            "COPRODUCE_SECRET_KEY": "a-real-secret-for-this-test-only-" + "x" * 20,
            "COPRODUCE_PSEUDONYM_KEY": "a-real-pseudonym-key-for-this-test-" + "y" * 20,
            "COPRODUCE_BASE_URL": "https://care.example.org",
            "COPRODUCE_ALLOWED_HOSTS": "care.example.org",
            "COPRODUCE_BEHIND_PROXY": "1",
            "COPRODUCE_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "coproduce.settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        }
    )
    coproduce = [sys.executable, "-m", "coproduce.cli"]
    for command in (["collectstatic", "--noinput"], ["migrate", "--noinput"]):
        done = subprocess.run(
            [*coproduce, *command], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests/accounts/production_client.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["login_status"] == 200 and seen["forgot_link"]
    assert seen["hsts"] == "max-age=31536000"
    assert "script-src 'self'" in seen["csp"]
    assert seen["after_login"] == 302 and seen["session_cookie_secure"]
    for url, (landed, cache) in seen["pages"].items():
        assert landed.startswith("/account/second-factor/setup/"), url
        assert cache == "no-store", url
