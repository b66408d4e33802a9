"""E-mail settings on Django 5.2 (EMAIL_*) and 6.1 (MAILERS): configured once, no deprecated API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import django

from coproduce.platform import delivery
from coproduce.platform.mail import SMTP_BACKEND, mail_settings
from coproduce.platform.models import Notification
from tests.platform.test_delivery import NOW, queue

SHOW_MAILER = """
import json, django
django.setup()
from coproduce.platform.mail import new_mailer
m = new_mailer()
print(json.dumps([type(m).__module__, m.host, m.port, m.username, m.password, m.use_tls,
                  m.use_ssl, m.timeout]))
"""


def test_the_coproduce_email_variables_reach_the_smtp_connection():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPRODUCE_", "DATABASE_"))}
    env |= {
        "COPRODUCE_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "coproduce.settings",
        "COPRODUCE_EMAIL_BACKEND": SMTP_BACKEND,
        "COPRODUCE_EMAIL_HOST": "smtp.clinic.example",
        "COPRODUCE_EMAIL_PORT": "2525",
        "COPRODUCE_EMAIL_USER": "coproduce",
        "COPRODUCE_EMAIL_PASSWORD": "s3cret",
        "COPRODUCE_EMAIL_TLS": "true",
        "COPRODUCE_EMAIL_TIMEOUT": "7",
    }
    # Any deprecation warning from Django (such as an EMAIL_* setting on 6.1) fails the run.
    run = subprocess.run(
        [sys.executable, "-W", "error::PendingDeprecationWarning:django",
         "-W", "error::DeprecationWarning:django", "-c", SHOW_MAILER],
        env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [
        "django.core.mail.backends.smtp", "smtp.clinic.example", 2525, "coproduce", "s3cret",
        True, False, 7,
    ]  # fmt: skip


def test_settings_name_only_the_api_of_the_running_django():
    made = mail_settings(SMTP_BACKEND, host="h", port=1, timeout=5)
    console = mail_settings("django.core.mail.backends.console.EmailBackend")
    if django.VERSION >= (6, 1):
        assert made == {
            "MAILERS": {"default": {"BACKEND": SMTP_BACKEND, "OPTIONS": {
                "host": "h", "port": 1, "username": "", "password": "", "use_tls": False,
                "use_ssl": False, "timeout": 5,
            }}}
        }  # fmt: skip
        # Django's own backends without a server refuse server options.
        assert console["MAILERS"]["default"]["OPTIONS"] == {}
    else:
        assert made["EMAIL_BACKEND"] == SMTP_BACKEND
        assert (made["EMAIL_HOST"], made["EMAIL_PORT"], made["EMAIL_TIMEOUT"]) == ("h", 1, 5)
        assert "MAILERS" not in made and console["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_the_outbox_sends_through_a_real_server_without_a_deprecated_call(db, smtp_server):
    queue(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", PendingDeprecationWarning)
        assert delivery.send_pending(NOW) == {"sent": 2, "failed": 0}
    smtp_server.wait_for(2)
    assert {m.to[0] for m in smtp_server.messages} == {"r0@example.org", "r1@example.org"}
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
