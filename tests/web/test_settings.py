import os
import subprocess
import sys

PSEUDONYM_KEY = {"COPRODUCE_PSEUDONYM_KEY": "p" * 40}


def run_settings(env: dict, *, pseudonym_key: bool = True) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COPRODUCE_")}
    if pseudonym_key:
        clean.update(PSEUDONYM_KEY)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import coproduce.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_refuses_to_start_in_production_without_a_secret():
    result = run_settings({})
    assert result.returncode != 0
    assert "COPRODUCE_SECRET_KEY is not set" in result.stderr


def test_it_is_safe_by_default_in_production():
    result = run_settings(
        {"COPRODUCE_SECRET_KEY": "x" * 40, "COPRODUCE_BASE_URL": "https://care.example.org"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False []"


def test_it_fails_loudly_on_a_malformed_boolean():
    result = run_settings({"COPRODUCE_MODE": "demo", "COPRODUCE_DEBUG": "maybe"})
    assert "is not a boolean" in result.stderr


def test_it_needs_the_public_address_for_links_in_production():
    result = run_settings({"COPRODUCE_SECRET_KEY": "x" * 40})
    assert "COPRODUCE_BASE_URL is not set" in result.stderr


def test_it_refuses_a_short_secret():
    result = run_settings({"COPRODUCE_SECRET_KEY": "short"})
    assert "at least 32 characters" in result.stderr


def test_it_refuses_debug_pages_in_production():
    # Issue 12: production accepted COPRODUCE_DEBUG=true.
    result = run_settings(
        {
            "COPRODUCE_SECRET_KEY": "x" * 40,
            "COPRODUCE_BASE_URL": "https://care.example.org",
            "COPRODUCE_DEBUG": "true",
        }
    )
    assert result.returncode != 0
    assert "COPRODUCE_DEBUG=true is refused in production" in result.stderr


def test_it_allows_debug_pages_in_demo_mode():
    result = run_settings({"COPRODUCE_MODE": "demo", "COPRODUCE_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")


def test_it_refuses_the_public_demo_key_in_production():
    result = run_settings(
        {
            "COPRODUCE_SECRET_KEY": "insecure-demo-and-test-only-key-never-use-in-production",
            "COPRODUCE_BASE_URL": "https://care.example.org",
        }
    )
    assert result.returncode != 0
    assert "is the public demo/test key" in result.stderr


def test_it_refuses_to_start_in_production_without_a_pseudonym_key():
    result = run_settings(
        {"COPRODUCE_SECRET_KEY": "x" * 40, "COPRODUCE_BASE_URL": "https://care.example.org"},
        pseudonym_key=False,
    )
    assert result.returncode != 0
    assert "COPRODUCE_PSEUDONYM_KEY is not set" in result.stderr


def test_it_refuses_the_session_key_as_pseudonym_key():
    result = run_settings(
        {
            "COPRODUCE_SECRET_KEY": "x" * 40,
            "COPRODUCE_PSEUDONYM_KEY": "x" * 40,
            "COPRODUCE_BASE_URL": "https://care.example.org",
        }
    )
    assert result.returncode != 0
    assert "must be its own secret" in result.stderr


def test_it_has_a_public_pseudonym_key_in_demo_mode():
    result = run_settings({"COPRODUCE_MODE": "demo"}, pseudonym_key=False)
    assert result.returncode == 0, result.stderr
