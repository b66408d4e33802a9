"""Reaching patients: sending due invitations and reminders through the notification outbox.

`dispatch_due` turns due invitations and reminders into outbox rows (`delivery.send_pending`
sends them). It is safe to run in several workers at once: every step claims its row with a
conditional update, and outbox rows have a unique dedupe key.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from coproduce.audit.services import record
from coproduce.checkins.models import OPEN_STATUSES, Invitation, InvitationStatus
from coproduce.checkins.tokens import issue_token, link_for
from coproduce.people.models import Channel, Patient, ProxyKind
from coproduce.platform import clock, crisis
from coproduce.safetynet.models import Notification, NotificationStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    channel: str
    to: str
    language: str = ""  # a parent's own; blank: the patient's


def recipient_for(patient: Patient) -> Recipient | None:
    """Return where `patient`'s check-ins go: the patient, else a parent who answers for them."""
    if patient.preferred_channel == Channel.SMS and patient.phone:
        return Recipient(Channel.SMS, patient.phone)
    if patient.email:
        return Recipient(Channel.EMAIL, patient.email)
    if patient.phone:
        return Recipient(Channel.SMS, patient.phone)
    link = (
        patient.proxy_links.filter(kind=ProxyKind.PARENT, revoked_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .first()
    )
    return Recipient(Channel.EMAIL, link.user.email, link.user.language) if link else None


def _notify(invitation: Invitation, purpose: str, key: str, now: dt.datetime) -> bool:
    """Write one outbox row with a fresh link for `invitation`; False if nobody to send to."""
    patient = invitation.patient
    recipient = recipient_for(patient)
    if recipient is None:
        log.warning("No e-mail or phone for %s; check-in shown on their page only.", patient)
        return False
    token = issue_token(invitation, purpose=purpose)
    context = {
        "patient": patient,
        "invitation": invitation,
        "link": link_for(token),
        "reminder": purpose == "reminder",
        "expires_local": invitation.expires_at.astimezone(patient.care_team.site.zone),
        "emergency": crisis.emergency_number(patient.care_team.site.country),
    }
    template = "sms" if recipient.channel == Channel.SMS else "email"
    # In the patient's language; a parent reads it in their own.
    with translation.override(recipient.language or patient.preferred_language or None):
        body = render_to_string(f"checkins/notify_{template}.txt", context).strip()
        subject = (
            gettext("Reminder: your check-in")
            if purpose == "reminder"
            else gettext("Your check-in is ready")
        )
    Notification.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "channel": recipient.channel,
            "to": recipient.to,
            "subject": subject,
            "body": body,
            "purpose": purpose,
            "patient": patient,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    record(
        "checkin.link_issued",
        patient=patient,
        obj=invitation,
        detail={"purpose": purpose, "channel": recipient.channel},
    )
    return True


def _next_reminder(invitation: Invitation, sent: int) -> dt.datetime | None:
    days = sorted(invitation.reminder_days)
    if sent >= len(days):
        return None
    at = invitation.due_at + dt.timedelta(days=days[sent])
    return at if at < invitation.expires_at else None


def dispatch_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Expire, send and remind what is due at `now`; return counts of each."""
    now = now or clock.now()
    counts = {"expired": 0, "sent": 0, "reminded": 0}
    counts["expired"] = expire_due(now)
    due = Invitation.objects.filter(
        status=InvitationStatus.SCHEDULED, due_at__lte=now, expires_at__gt=now
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            claimed = Invitation.objects.filter(pk=pk, status=InvitationStatus.SCHEDULED).update(
                status=InvitationStatus.SENT, sent_at=now
            )
            if not claimed:
                continue  # another worker got it
            inv = Invitation.objects.select_related("patient__care_team__site").get(pk=pk)
            inv.next_reminder_at = _next_reminder(inv, 0)
            inv.save(update_fields=["next_reminder_at"])
            _notify(inv, "invitation", f"invitation:{pk}", now)
            counts["sent"] += 1
    reminders = Invitation.objects.filter(
        status__in=[InvitationStatus.SENT, InvitationStatus.IN_PROGRESS],
        next_reminder_at__lte=now,
        expires_at__gt=now,
    ).values_list("pk", "reminders_sent")
    for pk, sent in list(reminders[:500]):
        with transaction.atomic():
            inv = Invitation.objects.select_related("patient__care_team__site").get(pk=pk)
            claimed = Invitation.objects.filter(
                pk=pk, reminders_sent=sent, status__in=OPEN_STATUSES
            ).update(reminders_sent=sent + 1, next_reminder_at=_next_reminder(inv, sent + 1))
            if not claimed:
                continue
            _notify(inv, "reminder", f"reminder:{pk}:{sent + 1}", now)
            counts["reminded"] += 1
    return counts


def expire_due(now: dt.datetime) -> int:
    """Close open invitations past their expiry and drop their unsent reminders."""
    expiring = list(
        Invitation.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now).values_list(
            "pk", flat=True
        )[:1000]
    )
    with transaction.atomic():
        n = Invitation.objects.filter(pk__in=expiring, status__in=OPEN_STATUSES).update(
            status=InvitationStatus.EXPIRED, next_reminder_at=None
        )
        for pk in expiring:
            drop_unsent_reminders(pk)
    return n


def drop_unsent_reminders(invitation_id: int) -> int:
    """Delete reminders not yet handed to a sender: nobody should be reminded of a closed
    check-in. (Failed sends are never dropped; this is only for reminders made moot.)"""
    deleted, _ = Notification.objects.filter(
        dedupe_key__startswith=f"reminder:{invitation_id}:", status=NotificationStatus.PENDING
    ).delete()
    return deleted
