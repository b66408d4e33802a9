"""Every appointment's pre-visit check-in: when it goes, to whom, never at night, and DST."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from coproduce.checkins import outbox, previsit
from coproduce.checkins.models import InvitationStatus
from coproduce.platform import clock, delivery
from coproduce.platform.models import Notification
from coproduce.visits.models import Appointment, SitePolicy
from tests import factories

pytestmark = pytest.mark.django_db
STOCKHOLM = "Europe/Stockholm"


def at(text: str, zone) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def book(patient, start: dt.datetime, **fields) -> Appointment:
    return Appointment.objects.create(
        patient=patient, care_team=patient.care_team, starts_at=start, **fields
    )


@pytest.fixture
def alice(world):
    world.alice.email = "alice@example.org"
    world.alice.save()
    return world.alice


def test_it_is_due_three_days_before_at_nine_and_closes_at_the_visit(alice):
    zone = alice.care_team.site.zone
    now = at("2027-02-20 12:00", zone)
    appointment = book(alice, at("2027-03-01 10:30", zone))  # across a month end
    assert previsit.sync(appointment, now=now) == "created"
    invitation = previsit.invitation_of(appointment)
    assert invitation.due_at == at("2027-02-26 09:00", zone)
    assert invitation.expires_at == appointment.starts_at
    assert invitation.instruments == ["previsit"]
    assert previsit.sync(appointment, now=now) == ""  # again: nothing


def test_it_follows_the_sites_setting(alice):
    zone = alice.care_team.site.zone
    SitePolicy.objects.create(site=alice.care_team.site, previsit_days_before=5)
    appointment = book(alice, at("2027-03-10 10:30", zone))
    previsit.sync(appointment, now=at("2027-02-20 12:00", zone))
    assert previsit.invitation_of(appointment).due_at == at("2027-03-05 09:00", zone)


def test_it_keeps_nine_oclock_clinic_time_across_the_change_to_summer_time(alice):
    zone = alice.care_team.site.zone  # Stockholm: summer time starts 28 March 2027
    appointment = book(alice, at("2027-03-30 10:00", zone))
    previsit.sync(appointment, now=at("2027-03-20 12:00", zone))
    invitation = previsit.invitation_of(appointment)
    assert invitation.due_at == at("2027-03-27 09:00", zone)
    outbox.dispatch_due(invitation.due_at)
    invitation.refresh_from_db()
    # Reminders one and two days later: still 09:00 on the clinic's clock (07:00 UTC now).
    assert invitation.next_reminder_at == at("2027-03-28 09:00", zone)
    assert invitation.next_reminder_at.astimezone(dt.UTC).hour == 7


def test_a_visit_booked_late_at_night_is_asked_about_the_next_morning(alice):
    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-02 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 22:30", zone))
    assert previsit.invitation_of(appointment).due_at == at("2027-06-02 08:00", zone)


def test_no_check_in_when_no_daytime_is_left_before_the_visit(alice):
    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-02 07:30", zone))
    assert previsit.sync(appointment, now=at("2027-06-01 21:00", zone)) == ""
    assert previsit.invitation_of(appointment) is None


def test_nothing_goes_out_at_night_even_when_the_worker_catches_up_late(alice):
    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    assert outbox.dispatch_due(at("2027-06-07 20:30", zone))["sent"] == 0
    assert outbox.dispatch_due(at("2027-06-08 05:00", zone))["sent"] == 0
    assert outbox.dispatch_due(at("2027-06-08 08:00", zone))["sent"] == 1


def test_it_sends_the_link_by_e_mail_and_the_link_opens_the_check_in(alice, client):
    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    with clock.frozen(at("2027-06-07 09:00", zone)):
        outbox.dispatch_due()
        delivery.send_pending()
        message = mail.outbox[0]
        assert message.subject == "Your check-in before your visit"
        assert "Before your visit on Thursday 10 June, 11:00" in message.body
        link = re.search(r"https?://\S+/c/\S+/", message.body).group(0)
        page = client.get(link.split("8000", 1)[-1], follow=True)
        assert page.status_code == 200
        names = {t.name for t in page.templates}
        assert "checkins/refused.html" not in names and "checkins/_layout.html" in names


def test_a_child_below_the_teen_age_is_answered_for_by_a_parent(world):
    site = world.team_a.site
    today = clock.today()
    child = factories.make_patient(
        world.team_a, born=today.replace(year=today.year - 9, day=1), email="kid@example.org"
    )
    parent = factories.make_user("family", username="mum", email="mum@example.org")
    factories.link_proxy(parent, child)
    assert outbox.recipient_for(child).to == "mum@example.org"
    assert outbox.recipient_for(child).parent
    site.teen_login_age = 8
    site.save()
    child.care_team.site.refresh_from_db()
    child = type(child).objects.get(pk=child.pk)
    assert outbox.recipient_for(child).to == "kid@example.org"  # a teen answers their own


def test_a_cancelled_visit_cancels_its_check_in_and_its_queued_reminders(alice):
    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    outbox.dispatch_due(at("2027-06-07 09:00", zone))
    outbox.dispatch_due(at("2027-06-08 09:00", zone))  # the first reminder, not yet sent
    assert Notification.objects.filter(purpose="reminder").exists()
    appointment.status = "cancelled"
    appointment.save()
    assert previsit.sync(appointment, now=at("2027-06-08 10:00", zone)) == "cancelled"
    assert previsit.invitation_of(appointment).status == InvitationStatus.CANCELLED
    assert not Notification.objects.filter(purpose="reminder").exists()


def test_the_hourly_job_plans_every_appointment_even_without_a_program(alice):
    zone = alice.care_team.site.zone
    now = at("2027-06-01 12:00", zone)
    appointment = book(alice, at("2027-06-10 11:00", zone))
    assert previsit.sync_upcoming(now=now) == 1
    assert previsit.sync_upcoming(now=now) == 0
    assert previsit.invitation_of(appointment).status == InvitationStatus.SCHEDULED


# --- By SMS, and never at night ---------------------------------------------------------------


def test_an_sms_patient_gets_the_link_and_the_visit_time_in_the_clinics_zone(alice, client):
    from coproduce.platform import sms

    sms.outbox.clear()
    alice.preferred_channel = "sms"
    alice.phone = "+46701234567"
    alice.save()
    zone = alice.care_team.site.zone
    # 11:00 in Stockholm is 09:00 UTC in summer: the message says the clinic's 11:00.
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    outbox.dispatch_due(at("2027-06-07 09:00", zone))
    delivery.send_pending(now=at("2027-06-07 09:00", zone))
    assert [m["to"] for m in sms.outbox] == ["+46701234567"] and not mail.outbox
    body = sms.outbox[0]["body"]
    assert "Before your visit on 10 Jun 11:00" in body
    link = re.search(r"https?://\S+/c/[A-Za-z0-9_-]+/", body).group(0)
    with clock.frozen(at("2027-06-07 09:05", zone)):  # opened when it came, not on any day
        page = client.get(link.split("8000", 1)[-1])
    assert page.status_code == 200 and "checkins/refused.html" not in {
        t.name for t in page.templates
    }


def test_an_sms_reminder_due_at_night_waits_for_eight_in_the_morning(alice):
    from coproduce.platform import sms

    sms.outbox.clear()
    alice.preferred_channel = "sms"
    alice.phone = "+46701234567"
    alice.save()
    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    outbox.dispatch_due(at("2027-06-07 09:00", zone))
    invitation = previsit.invitation_of(appointment)
    assert invitation.next_reminder_at == at("2027-06-08 09:00", zone)
    # The worker was down all day; it comes back at 22:00, and again after midnight.
    assert outbox.dispatch_due(at("2027-06-08 22:00", zone))["reminded"] == 0
    assert outbox.dispatch_due(at("2027-06-09 03:00", zone))["reminded"] == 0
    delivery.send_pending(now=at("2027-06-09 03:00", zone))
    assert len(sms.outbox) == 1  # the invitation only
    assert outbox.dispatch_due(at("2027-06-09 08:00", zone))["reminded"] == 1
    delivery.send_pending(now=at("2027-06-09 08:00", zone))
    assert len(sms.outbox) == 2 and "Before your visit on 10 Jun 11:00" in sms.outbox[1]["body"]


def test_a_nurses_reminder_clicked_at_night_goes_at_eight_and_the_reminders_follow(alice):
    from coproduce.visits.services import queue_previsit_reminder

    zone = alice.care_team.site.zone
    nurse = factories.make_user("nurse", teams=[alice.care_team])
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    with clock.frozen(at("2027-06-06 22:15", zone)):  # before the invitation was due
        notification, created = queue_previsit_reminder(actor=nurse, appointment=appointment)
    assert created and notification.next_attempt_at == at("2027-06-07 08:00", zone)
    assert delivery.send_pending(now=at("2027-06-06 23:00", zone))["sent"] == 0
    assert not mail.outbox
    assert delivery.send_pending(now=at("2027-06-07 08:00", zone))["sent"] == 1
    # Moved from scheduled to sent by the nurse's hand: the automatic reminders still follow.
    invitation = previsit.invitation_of(appointment)
    assert invitation.status == InvitationStatus.SENT
    # A day after the nurse's 22:15 is at night again: the first reminder goes at 08:00.
    assert invitation.next_reminder_at == at("2027-06-08 08:00", zone)
    assert outbox.dispatch_due(at("2027-06-08 08:00", zone))["reminded"] == 1


def test_a_nurses_reminder_in_the_day_goes_at_once(alice):
    from coproduce.visits.services import queue_previsit_reminder

    zone = alice.care_team.site.zone
    nurse = factories.make_user("nurse", teams=[alice.care_team])
    appointment = book(alice, at("2027-06-10 11:00", zone))
    with clock.frozen(at("2027-06-06 14:00", zone)):
        notification, _ = queue_previsit_reminder(actor=nurse, appointment=appointment)
    assert notification.next_attempt_at == at("2027-06-06 14:00", zone)


def test_a_failed_previsit_message_is_not_tried_again_at_night_but_an_urgent_one_is(
    alice, smtp_server
):
    from coproduce.platform.models import Priority

    zone = alice.care_team.site.zone
    appointment = book(alice, at("2027-06-10 11:00", zone))
    previsit.sync(appointment, now=at("2027-06-01 12:00", zone))
    invitation = previsit.invitation_of(appointment)
    outbox.dispatch_due(at("2027-06-07 09:00", zone))
    urgent = Notification.objects.create(
        channel="email",
        to="oncall@example.org",
        subject="Urgent alert",
        body="Please act",
        purpose="alert",
        dedupe_key="alert:test",
        priority=Priority.URGENT,
        patient=alice,
        next_attempt_at=at("2027-06-07 19:58", zone),
    )
    Notification.objects.filter(dedupe_key=f"invitation:{invitation.pk}").update(
        next_attempt_at=at("2027-06-07 19:58", zone)
    )
    # The SMTP server says "try again later" (451) to both: each is tried again after 1 minute.
    smtp_server.fail_next(2)
    delivery.send_pending(now=at("2027-06-07 19:59", zone))
    previsit_row = Notification.objects.get(dedupe_key=f"invitation:{invitation.pk}")
    urgent.refresh_from_db()
    assert previsit_row.status == "pending" and urgent.status == "pending"
    assert previsit_row.next_attempt_at == at("2027-06-08 08:00", zone)  # not 20:00
    assert urgent.next_attempt_at == at("2027-06-07 20:00", zone)  # one minute, at night too
