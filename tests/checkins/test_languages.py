"""Invitations, the "not sent" answer and the schedule in the patient's language and country."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from coproduce.checkins import outbox
from coproduce.checkins.models import CheckinResponse, Invitation
from coproduce.checkins.scheduling import enroll, on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock, delivery, sms
from tests.checkins.conftest import DUE, MONDAY
from tests.checkins.test_checkin_pages import _answer_all


def _in(patient, language, country=""):
    patient.preferred_language = language
    patient.save()
    site = patient.care_team.site
    site.country = country
    site.save()


def test_the_invitation_e_mail_is_in_the_patients_language(enrolled):
    _in(enrolled, "es", "US")  # after enrolment: the planned invitation stays as it was
    outbox.dispatch_due(DUE)
    delivery.send_pending(DUE)
    message = mail.outbox[-1]
    assert message.subject == "Su cuestionario está listo"
    assert "Hola, Alice:" in message.body and "al 911" in message.body


def test_the_invitation_text_message_names_the_countrys_emergency_number(enrolled):
    _in(enrolled, "sv", "SE")
    enrolled.preferred_channel, enrolled.phone = "sms", "+46701234567"
    enrolled.save()
    outbox.dispatch_due(DUE)
    delivery.send_pending(DUE)
    assert "Ring din mottagning eller 112" in sms.outbox[-1]["body"]


def test_a_spanish_patients_schedule_asks_nothing_without_an_official_translation(
    client, alice, weekly, program, world
):
    _in(alice, "es")
    enroll(alice, program, actor=None, now=MONDAY, started_on=MONDAY.date())
    assert not Invitation.objects.filter(patient=alice).exists()
    client.force_login(world.nina)
    html = client.get(f"/patients/{alice.registry_id}/").content.decode()
    assert "Not asked in Español: peg, phq9" in html


def test_the_not_stored_page_shows_the_sites_crisis_lines_without_the_database(
    client, alice, broken_database
):
    inv = on_demand(alice, ["peg", "phq9"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    _in(alice, "es", "US")
    _answer_all(client, token, item9="LA6570-1")
    page = client.post(f"/c/{token}/send/")
    html = page.content.decode()
    assert page.status_code == 503
    assert "Hay ayuda disponible ahora mismo" in html
    assert '<a class="tel" href="tel:988">988</a>' in html
    assert "oprima 2" in html and "TODAVÍA NO" in html
    assert CheckinResponse.objects.count() == 0
    broken_database()
