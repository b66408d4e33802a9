import datetime as dt

from django.core import mail
from django.db import transaction
from django.test import override_settings

from coproduce.checkins import outbox
from coproduce.checkins.models import Invitation, InvitationStatus, InvitationToken
from coproduce.checkins.services import submit_checkin, web_idempotency_key
from coproduce.checkins.tokens import digest
from coproduce.platform import delivery, sms
from coproduce.platform.models import Notification, NotificationStatus
from tests.checkins.conftest import DUE, full_answers, sent_link

DAY = dt.timedelta(days=1)


class FailingSms:
    """An SMS provider that is down."""

    def send(self, to, body):
        raise ConnectionError("provider unreachable")


def _first(patient):
    return Invitation.objects.filter(patient=patient).order_by("due_at").first()


def test_it_sends_nothing_before_the_due_time(enrolled):
    assert outbox.dispatch_due(DUE - dt.timedelta(minutes=1))["sent"] == 0
    assert Notification.objects.count() == 0


def test_it_emails_a_link_whose_token_is_stored_only_as_a_digest(enrolled):
    token = sent_link()
    inv = _first(enrolled)
    assert inv.status == InvitationStatus.SENT
    assert mail.outbox[0].to == ["alice@example.org"]
    assert InvitationToken.objects.get(invitation=inv).digest == digest(token)
    # Once sent, the outbox keeps no usable link either.
    assert token not in Notification.objects.get().body


def test_it_sends_by_sms_when_the_patient_prefers_it(enrolled):
    enrolled.preferred_channel = "sms"
    enrolled.phone = "+46 70 111 22 33"
    enrolled.save()
    outbox.dispatch_due(DUE)
    delivery.send_pending(DUE)
    assert sms.outbox[0]["to"] == "+46 70 111 22 33"
    assert "/c/" in sms.outbox[0]["body"]
    assert mail.outbox == []


def test_it_writes_messages_as_plain_text_not_html(enrolled):
    site = enrolled.care_team.site
    site.name = "Pain & Rheumatology <North>"
    site.save()
    enrolled.preferred_channel = "sms"
    enrolled.phone = "+46 70 111 22 33"
    enrolled.save()
    outbox.dispatch_due(DUE)
    delivery.send_pending(DUE)
    assert "from Pain & Rheumatology <North> is ready" in sms.outbox[0]["body"]


def test_it_sends_twice_never_when_dispatch_runs_twice(enrolled):
    outbox.dispatch_due(DUE)
    outbox.dispatch_due(DUE)
    delivery.send_pending(DUE)
    delivery.send_pending(DUE)
    assert len(mail.outbox) == 1


def test_it_reminds_on_the_planned_days_with_a_fresh_working_link(enrolled):
    first = sent_link()
    outbox.dispatch_due(DUE + DAY)
    assert delivery.send_pending(DUE + DAY)["sent"] == 0
    second = sent_link(DUE + 2 * DAY)
    assert "Reminder" in mail.outbox[-1].subject
    assert second != first
    assert sent_link(DUE + 4 * DAY) not in (first, second)
    outbox.dispatch_due(DUE + 6 * DAY)
    assert len(mail.outbox) == 3  # invitation + 2 reminders, then nothing more


def test_it_stops_reminders_the_moment_the_check_in_is_completed(enrolled):
    sent_link()
    inv = _first(enrolled)
    with transaction.atomic():
        submit_checkin(
            invitation=inv,
            answers=full_answers(),
            idempotency_key=web_idempotency_key(inv),
            now=DUE + DAY,
        )
    for day in range(2, 7):  # the next weekly check-in is due on day 7
        outbox.dispatch_due(DUE + day * DAY)
        delivery.send_pending(DUE + day * DAY)
    assert len(mail.outbox) == 1


def test_it_drops_a_queued_reminder_when_the_check_in_is_completed_before_it_goes(enrolled):
    sent_link()
    outbox.dispatch_due(DUE + 2 * DAY)  # the reminder is queued but not yet sent
    inv = _first(enrolled)
    with transaction.atomic():
        submit_checkin(
            invitation=inv,
            answers=full_answers(),
            idempotency_key=web_idempotency_key(inv),
            now=DUE + 2 * DAY,
        )
    delivery.send_pending(DUE + 2 * DAY)
    assert len(mail.outbox) == 1


def test_it_expires_open_invitations_and_stops_reminding(enrolled):
    sent_link()
    counts = outbox.dispatch_due(DUE + 7 * DAY)
    assert counts["expired"] >= 1
    assert _first(enrolled).status == InvitationStatus.EXPIRED
    assert _first(enrolled).next_reminder_at is None


def test_it_claims_an_outbox_row_exclusively(enrolled):
    outbox.dispatch_due(DUE)
    n = Notification.objects.get()
    # Another worker claimed it a moment ago and is sending it now.
    Notification.objects.filter(pk=n.pk).update(
        status=NotificationStatus.SENDING, claimed_until=DUE + dt.timedelta(minutes=5)
    )
    assert delivery.send_pending(DUE) == {"sent": 0, "failed": 0}
    assert mail.outbox == []


def test_it_takes_over_a_claim_whose_worker_died(enrolled):
    outbox.dispatch_due(DUE)
    Notification.objects.update(
        status=NotificationStatus.SENDING, claimed_until=DUE - dt.timedelta(minutes=1)
    )
    assert delivery.send_pending(DUE)["sent"] == 1
    assert Notification.objects.get().status == NotificationStatus.SENT


@override_settings(COPRODUCE_SMS_BACKEND="tests.checkins.test_reaching_patients.FailingSms")
def test_it_retries_failed_sends_with_growing_backoff_and_never_drops_them(enrolled):
    enrolled.preferred_channel = "sms"
    enrolled.phone = "+46 70 111 22 33"
    enrolled.save()
    outbox.dispatch_due(DUE)
    now = DUE
    waits = []
    for _ in range(5):
        assert delivery.send_pending(now) == {"sent": 0, "failed": 1}
        n = Notification.objects.get()
        assert n.status == NotificationStatus.PENDING
        assert "provider unreachable" in n.last_error
        waits.append(n.next_attempt_at - now)
        assert delivery.send_pending(n.next_attempt_at - dt.timedelta(seconds=1))["failed"] == 0
        now = n.next_attempt_at
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert delivery.backoff(30) == dt.timedelta(hours=6)
    with override_settings(COPRODUCE_SMS_BACKEND="coproduce.platform.sms.LocmemBackend"):
        assert delivery.send_pending(now)["sent"] == 1
    n = Notification.objects.get()
    assert (n.status, n.attempts) == (NotificationStatus.SENT, 6)


def test_it_sends_a_childs_check_in_to_the_parent(world, weekly, program):
    from coproduce.checkins.scheduling import enroll

    world.paula.email = "paula@example.org"
    world.paula.save()
    enroll(world.tom, program, actor=None, now=DUE - DAY, started_on=(DUE - DAY).date())
    outbox.dispatch_due(DUE)
    delivery.send_pending(DUE)
    assert mail.outbox[0].to == ["paula@example.org"]
