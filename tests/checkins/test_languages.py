"""Invitations, the "not sent" answer and the schedule in the patient's language and country."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from coproduce.audit.models import AuditEvent
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
    _answer_all(client, token, item9="LA6570-1")  # in English: no official Spanish PHQ-9
    _in(alice, "es", "US")  # then she asks for Spanish: what she answered stays
    page = client.post(f"/c/{token}/send/")
    html = page.content.decode()
    assert page.status_code == 503
    assert "Hay ayuda disponible ahora mismo" in html
    assert '<a class="tel" href="tel:988">988</a>' in html
    assert "oprima 2" in html and "TODAVÍA NO" in html
    assert CheckinResponse.objects.count() == 0
    broken_database()


def test_a_check_in_planned_before_she_chose_spanish_asks_only_what_has_a_spanish_text(
    client, alice, world
):
    inv = on_demand(alice, ["phq9", "withdrawal-nrs"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    _in(alice, "es", "US")
    page = client.get(f"/c/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "abstinencia" in html  # our own withdrawal question, in Spanish
    assert "Little interest or pleasure" not in html  # never the English PHQ-9
    inv.refresh_from_db()
    assert inv.instruments == ["withdrawal-nrs"]
    fitted = AuditEvent.objects.get(event="checkin.fitted", object_id=str(inv.pk))
    assert fitted.detail == {
        "dropped": ["phq9"],
        "reason": "no official text in the language",
        "language": "es",
    }


def test_a_check_in_with_nothing_in_her_language_says_so_and_offers_the_ones_it_has(
    client, alice, world
):
    inv = on_demand(alice, ["phq9"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    _in(alice, "es", "US")
    page = client.get(f"/c/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Estas preguntas no están disponibles en su idioma" in html
    assert 'name="language" value="en"' in html
    assert 'name="language" value="es"' not in html
    assert "Little interest or pleasure" not in html
    inv.refresh_from_db()
    assert inv.instruments == ["phq9"]  # kept for a language that has it
    # One audit row for the one page (it was two: checkin.refused as well).
    assert list(
        AuditEvent.objects.filter(object_id=str(inv.pk), event__startswith="checkin.").values_list(
            "event", flat=True
        )
    ) == ["checkin.not_in_language"]
    # She chooses English on this phone (a cookie: the link is not logged in): PHQ-9 opens.
    client.post("/language/", {"language": "en", "next": f"/c/{token}/"})
    assert "Little interest or pleasure" in client.get(f"/c/{token}/").content.decode()
