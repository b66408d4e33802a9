"""Password reset by e-mail or text message: same answer for everyone, single-use links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from coproduce.audit.models import AuditEvent
from coproduce.people.models import LoginFailure
from coproduce.platform import clock, delivery, sms
from coproduce.platform.models import Notification
from tests.accounts.conftest import log_in

LINK = re.compile(r"https?://[^/\s]+(/account/password-reset/[^\s]+/)")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()


def ask(client, identifier: str):
    return client.post("/account/password-reset/", {"identifier": identifier})


def sent() -> None:
    delivery.send_pending(clock.now() + dt.timedelta(seconds=1))


def test_the_login_page_offers_a_reset(client, db):
    body = client.get("/login/").content.decode()
    assert 'href="/account/password-reset/"' in body and "Forgot your password?" in body


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, world):
    world.nina.email = "nina@example.org"
    world.nina.save()
    known, unknown = ask(client, "nina"), ask(client, "nobody-here")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/account/password-reset/sent/"
    assert Notification.objects.filter(purpose="password_reset").count() == 1
    assert AuditEvent.objects.filter(event="password.reset_requested").count() == 2


def test_an_empty_request_says_what_is_missing(client, db):
    response = ask(client, "")
    assert response.status_code == 400
    assert b"Enter your username, e-mail address or mobile number." in response.content


def test_staff_get_an_email_whose_link_works_once(client, world):
    world.nina.email = "nina@example.org"
    world.nina.save()
    ask(client, "NINA@example.org")
    sent()
    assert mail.outbox[0].to == ["nina@example.org"]
    link = LINK.search(mail.outbox[0].body).group(1)
    assert link not in Notification.objects.get().body  # scrubbed once handed over

    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long password 7", "new_password2": "a new long password 7"},
    )
    assert done["Location"] == "/login/"
    assert AuditEvent.objects.filter(event="password.reset_done", actor=world.nina).exists()
    assert log_in(client, "nina", password="a new long password 7").status_code == 302

    again = type(client)().get(link, follow=True)
    assert b"This link no longer works" in again.content


def test_a_patient_reached_only_by_sms_gets_a_text(client, world):
    alice = world.alice
    alice.email, alice.phone, alice.preferred_channel = "", "+46 70 111 22 33", "sms"
    alice.save()
    ask(client, "+46 70 111 22 33")
    sent()
    assert mail.outbox == []
    assert sms.outbox[0]["to"] == "+46 70 111 22 33"
    assert LINK.search(sms.outbox[0]["body"])


def test_a_childs_reset_never_goes_to_the_parent(client, world):
    world.paula.email = "paula@example.org"
    world.paula.save()
    world.alice.email, world.alice.phone = "", ""
    world.alice.save()
    ask(client, world.alice.user.username)
    assert not Notification.objects.filter(purpose="password_reset").exists()


def test_an_old_link_has_expired(client, world, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600

    class TwoHoursAgo(PasswordResetTokenGenerator):
        def _now(self):
            return dt.datetime.now() - dt.timedelta(hours=2)

    token = TwoHoursAgo().make_token(world.nina)
    uid = urlsafe_base64_encode(force_bytes(world.nina.pk))
    page = client.get(f"/account/password-reset/{uid}/{token}/", follow=True)
    assert b"This link no longer works" in page.content


def test_a_reset_clears_the_failed_logins(client, world):
    LoginFailure.objects.create(username="nina", ip="10.0.0.9")
    from coproduce.accounts.reset import after_reset

    after_reset(world.nina, ip="127.0.0.1")
    assert not LoginFailure.objects.filter(username="nina").exists()
