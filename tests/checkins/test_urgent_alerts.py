"""An urgent alert reaches a person, and the patient is told the truth about it (issue 11.4).

Through the public ways in: the submit service, the JSON API, the check-in pages, the staff
pages and the outbox sending to a real SMTP server (tests/smtp.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from coproduce.audit.models import AuditEvent
from coproduce.checkins.services import submit_checkin
from coproduce.platform import clock, delivery
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.models import Alert
from coproduce.safetynet.reach import unreached_banner
from tests import factories
from tests.checkins.conftest import DUE, full_answers
from tests.smtp import point_mail_at

TOLD = "Your care team has been told"
NOT_TOLD = "We could not alert your care team automatically"
ON_CALL = "on-call@north.example.org"


@pytest.fixture
def site(world):
    return world.team_a.site


@pytest.fixture
def admin_mail(world):
    world.adam.email = "adam@example.org"
    world.adam.save()
    return world.adam


def _crisis(patient, key="k1", now=DUE):
    with transaction.atomic():
        return submit_checkin(
            patient=patient, answers=full_answers(item9=1), idempotency_key=key, now=now
        )


def _urgent(patient) -> Alert:
    return Alert.objects.get(patient=patient, priority=Priority.URGENT)


def _api_crisis(client, patient, key="api-1"):
    client.force_login(patient.user)
    return client.post(
        "/api/v1/checkins/",
        json.dumps({"answers": full_answers(item9=1)}),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_it_tells_the_nurse_and_the_sites_urgent_contact(world, alice, site):
    world.nina.email = "nina@example.org"
    world.nina.save()
    site.urgent_email = ON_CALL
    site.save()
    result = _crisis(alice)
    alert = _urgent(alice)
    rows = Notification.objects.filter(alert=alert, purpose="alert")
    assert sorted(rows.values_list("to", flat=True)) == sorted(["nina@example.org", ON_CALL])
    assert result.team_told and alert.unreached_at is None
    assert TOLD in result.crisis_text() and NOT_TOLD not in result.crisis_text()
    delivery.send_pending(DUE)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["nina@example.org", ON_CALL])


def test_the_sites_urgent_contact_alone_is_enough(alice, site):
    site.urgent_email = ON_CALL
    site.save()
    result = _crisis(alice)
    assert result.team_told
    assert list(Notification.objects.values_list("to", flat=True)) == [ON_CALL]


def test_with_no_address_the_api_says_so_and_the_registry_admins_are_emailed(
    client, alice, admin_mail
):
    answer = _api_crisis(client, alice)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["crisis"] and NOT_TOLD in body["crisis_resources"]
    assert TOLD not in body["crisis_resources"] and "112" in body["crisis_resources"]
    crisis_message = next(m for m in body["messages"] if m["crisis"])
    assert "call your clinic" in crisis_message["clinic_will"]
    assert "will contact you" not in crisis_message["clinic_will"]
    alert = _urgent(alice)
    assert alert.unreached_at is not None
    told = Notification.objects.get(alert=alert)
    assert (told.to, told.purpose) == ("adam@example.org", "unreached")
    assert AuditEvent.objects.filter(event="alert.unreached", object_id=str(alert.pk)).exists()
    # Sent again with the same key: the same honest answer, nothing new stored.
    again = _api_crisis(client, alice)
    assert again.status_code == 200 and NOT_TOLD in again.json()["crisis_resources"]
    assert Notification.objects.count() == 1


def test_the_check_in_page_says_the_team_was_told_only_when_it_was(world, alice):
    from coproduce.checkins.scheduling import on_demand
    from coproduce.checkins.tokens import issue_token
    from tests.checkins.test_checkin_pages import _answer_all

    def send_crisis() -> str:
        inv = on_demand(alice, ["peg", "phq9"], now=clock.now() - dt.timedelta(minutes=1))
        token = issue_token(inv, purpose="invitation")
        client = Client()
        _answer_all(client, token)
        return client.post(f"/c/{token}/send/", follow=True).content.decode()

    html = send_crisis()
    assert "Help is available right now" in html
    assert NOT_TOLD in html and TOLD not in html
    Alert.objects.update(status="resolved")
    world.nina.email = "nina@example.org"
    world.nina.save()
    html = send_crisis()
    assert TOLD in html and NOT_TOLD not in html


def test_the_sites_phone_counts_only_where_a_text_message_reaches_a_phone(alice, site, settings):
    site.urgent_phone = "+46 70 111 22 33"
    site.save()
    result = _crisis(alice, key="sms")  # the test SMS backend delivers (to a list)
    assert result.team_told
    sms = Notification.objects.get(alert=_urgent(alice))
    assert (sms.channel, sms.to) == ("sms", "+46 70 111 22 33")

    Alert.objects.update(status="resolved")
    settings.COPRODUCE_SMS_BACKEND = "coproduce.platform.sms.FileBackend"  # a file, not a phone
    result = _crisis(alice, key="file", now=DUE + dt.timedelta(hours=1))
    assert not result.team_told and NOT_TOLD in result.crisis_text()


def test_every_staff_page_shows_an_urgent_alert_that_reached_nobody(world, alice, admin_mail):
    _crisis(alice)
    banner = "urgent alert could not be sent to anyone"
    nina, adam, carl, patient = Client(), Client(), Client(), Client()
    for client, user in ((nina, world.nina), (adam, world.adam), (carl, world.carl)):
        client.force_login(user)
    patient.force_login(alice.user)
    assert banner in nina.get("/alerts/").content.decode()
    assert banner in nina.get(f"/patients/{alice.registry_id}/").content.decode()
    assert banner in adam.get("/admin/").content.decode()  # the registry admin's pages too
    assert banner not in carl.get("/alerts/").content.decode()  # another site's team
    assert banner not in patient.get("/me/").content.decode()
    alert = _urgent(alice)
    assert "Nobody was told" in nina.get("/alerts/").content.decode()
    assert "The registry admins were told" in nina.get(f"/alerts/{alert.pk}/").content.decode()
    nina.post(f"/alerts/{alert.pk}/acknowledge/")
    assert banner not in nina.get("/alerts/").content.decode()  # a person has it now


@pytest.mark.parametrize("n", [1, 6])
def test_the_banner_costs_one_query_however_many_alerts(world, alice, django_assert_num_queries, n):
    for i in range(n):
        patient = factories.make_patient(world.team_a)
        _crisis(patient, key=f"b{i}")
    for user in (world.nina, world.adam):
        with django_assert_num_queries(1):
            assert unreached_banner(user) == n


def test_a_refused_urgent_email_escalates_like_a_missing_address(
    world,
    alice,
    admin_mail,
    smtp_server,
):
    world.nina.email = "nina@example.org"
    world.nina.save()
    smtp_server.refuse = {"nina@example.org"}
    result = _crisis(alice)
    assert result.team_told  # queued to a real address; the server refuses it later
    alert = _urgent(alice)
    assert delivery.send_pending(DUE) == {"sent": 0, "failed": 1}
    alert.refresh_from_db()
    assert alert.unreached_at == DUE
    assert AuditEvent.objects.filter(event="alert.unreached", object_id=str(alert.pk)).exists()
    delivery.send_pending(DUE)  # the registry admins' e-mail goes out
    [to_admin] = smtp_server.to("adam@example.org")
    assert alert.patient.registry_id in to_admin.subject
    assert "Nobody in the care team" in to_admin.body
    refused = Notification.objects.get(alert=alert, to="nina@example.org")
    assert refused.status == "failed" and "550" in refused.last_error  # refused for good


def test_a_temporary_failure_escalates_only_when_it_keeps_failing(
    world, alice, admin_mail, settings
):
    world.nina.email = "nina@example.org"
    world.nina.save()
    point_mail_at(settings, _closed_port())
    _crisis(alice)
    alert = _urgent(alice)
    at = DUE
    for attempt in (1, 2):
        delivery.send_pending(at)
        alert.refresh_from_db()
        assert alert.unreached_at is None, f"escalated after {attempt} failures"
        at += dt.timedelta(hours=1)
    delivery.send_pending(at)  # the third failure
    alert.refresh_from_db()
    assert alert.unreached_at == at
    assert Notification.objects.filter(purpose="unreached", to="adam@example.org").count() == 1


def test_a_refused_address_does_not_escalate_when_the_site_contact_got_it(
    world,
    alice,
    site,
    admin_mail,
    smtp_server,
):
    world.nina.email = "nina@example.org"
    world.nina.save()
    site.urgent_email = ON_CALL
    site.save()
    smtp_server.refuse = {"nina@example.org"}
    _crisis(alice)
    delivery.send_pending(DUE)
    delivery.send_pending(DUE + dt.timedelta(minutes=5))
    assert smtp_server.to(ON_CALL)
    assert _urgent(alice).unreached_at is None
    assert not Notification.objects.filter(purpose="unreached").exists()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
