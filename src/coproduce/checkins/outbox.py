"""Reaching patients: sending due invitations and reminders through the notification outbox.

`dispatch_due` turns due invitations and reminders into outbox rows (the floor's
`platform.delivery.send_pending` sends them). It is safe to run in several workers at once:
every step claims its row with a conditional update, and outbox rows have a unique dedupe key.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from coproduce.audit.services import record
from coproduce.checkins.models import OPEN_STATUSES, Invitation, InvitationStatus
from coproduce.checkins.previsit import PREVISIT, daytime, is_daytime, local_days_after
from coproduce.checkins.private import keep_from_parent
from coproduce.checkins.taper_fit import cancel_if_nothing_fits
from coproduce.checkins.tokens import issue_token, link_for
from coproduce.people.access import private_from_parents
from coproduce.people.models import Patient, ProxyKind, Site
from coproduce.platform import clock, crisis
from coproduce.platform.models import Channel, Notification, NotificationStatus, Priority

log = logging.getLogger(__name__)

# The dedupe key of the reminder a nurse sends from pre-visit planning (one per appointment).
PREVISIT_REMINDER_KEY = "previsit-reminder:"


@dataclass(frozen=True)
class Recipient:
    channel: str
    to: str
    parent: bool = False  # a parent who answers for the patient
    language: str = ""  # a parent's own; blank: the patient's


def _parent_of(patient: Patient) -> Recipient | None:
    link = (
        patient.proxy_links.filter(kind=ProxyKind.PARENT, revoked_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .first()
    )
    if link is None:
        return None
    return Recipient(Channel.EMAIL, link.user.email, parent=True, language=link.user.language)


def recipient_for(patient: Patient, instruments: list[str] | None = None) -> Recipient | None:
    """Return where `patient`'s check-ins go: the patient, else a parent who answers for them.

    A child below the site's `teen_login_age` cannot log in: a parent answers for them, so a
    parent gets the link even when the child has an address. From that age a teen with an
    address or phone of their own answers their own; a parent is asked only when they have
    none, and never for a check-in of only the teen's confidential `instruments` (private.py):
    that one waits on the teen's own page.
    """
    site = patient.care_team.site
    age = patient.age_on(clock.clinic_today(site))
    if age < site.teen_login_age:
        parent = _parent_of(patient)
        if parent is not None:
            return parent
    if patient.preferred_channel == Channel.SMS and patient.phone:
        return Recipient(Channel.SMS, patient.phone)
    if patient.email:
        return Recipient(Channel.EMAIL, patient.email)
    if patient.phone:
        return Recipient(Channel.SMS, patient.phone)
    if instruments and set(instruments) <= private_from_parents(patient)[0]:
        return None
    return _parent_of(patient)


def notify(
    invitation: Invitation,
    purpose: str,
    key: str,
    now: dt.datetime,
    *,
    send_at: dt.datetime | None = None,
) -> tuple[Notification, bool] | None:
    """Write one outbox row with a fresh link for `invitation`, sent from `send_at` (default
    `now`); (row, created), or None if there is nobody to send to."""
    patient = invitation.patient
    recipient = recipient_for(patient, list(invitation.instruments))
    if recipient is None:
        log.warning("No e-mail or phone for %s; check-in shown on their page only.", patient)
        return None
    if recipient.parent:
        # A parent's link never opens a teen's confidential questions: they move to a
        # check-in of the teen's own first (recipient_for sent none of only those here).
        invitation = keep_from_parent(invitation, private_from_parents(patient)[0])
    token = issue_token(invitation, purpose=purpose)
    context = {
        "patient": patient,
        "invitation": invitation,
        "link": link_for(token),
        "reminder": purpose == "reminder",
        "for_parent": recipient.parent,
        "expires_local": invitation.expires_at.astimezone(patient.care_team.site.zone),
        "emergency": crisis.emergency_number(patient.care_team.site.country),
    }
    template = "sms" if recipient.channel == Channel.SMS else "email"
    previsit = invitation.appointment_id is not None and PREVISIT in invitation.instruments
    if previsit:
        context["visit_local"] = invitation.expires_at.astimezone(patient.care_team.site.zone)
    context["previsit"] = previsit
    # Dates on the clinic's clock and in the patient's language, whatever the worker's own.
    with timezone.override(patient.care_team.site.zone), translation.override(
        recipient.language or patient.preferred_language or None
    ):
        body = render_to_string(f"checkins/notify_{template}.txt", context).strip()
        if previsit:
            subject = (
                gettext("Reminder: your check-in before your visit")
                if purpose == "reminder"
                else gettext("Your check-in before your visit")
            )
        else:
            subject = (
                gettext("Reminder: your check-in")
                if purpose == "reminder"
                else gettext("Your check-in is ready")
            )
    notification, created = Notification.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "channel": recipient.channel,
            "to": recipient.to,
            "subject": subject,
            "body": body,
            "purpose": purpose,
            "patient": patient,
            "next_attempt_at": send_at or now,
            "created_at": now,
        },
    )
    record(
        "checkin.link_issued",
        patient=patient,
        obj=invitation,
        detail={"purpose": purpose, "channel": recipient.channel},
    )
    return notification, created


def next_reminder(invitation: Invitation, sent: int) -> dt.datetime | None:
    """When reminder number `sent` + 1 of `invitation` is due (None: no more before expiry)."""
    days = sorted(invitation.reminder_days)
    if sent >= len(days):
        return None
    zone = invitation.patient.care_team.site.zone
    # The same clinic time as the invitation, whatever a DST change in between, by day.
    at = daytime(local_days_after(invitation.due_at, days[sent], zone), zone)
    return at if at < invitation.expires_at else None


def _held_for_morning(invitation_id: int, now: dt.datetime) -> bool:
    """True for a pre-visit message coming due at night: it goes out at 08:00 instead."""
    inv = Invitation.objects.select_related("patient__care_team__site").get(pk=invitation_id)
    if inv.appointment_id is None or PREVISIT not in inv.instruments:
        return False
    return not is_daytime(now, inv.patient.care_team.site.zone)


def hold_previsit_retry(notification: Notification, at: dt.datetime) -> dt.datetime:
    """The next try of a failed pre-visit message: `at`, or 08:00 clinic time when `at` falls
    at night (never an urgent one: those go at once, day and night)."""
    if notification.priority == Priority.URGENT or notification.patient_id is None:
        return at
    key = notification.dedupe_key
    if not key.startswith(PREVISIT_REMINDER_KEY):
        found = re.match(r"^(?:invitation|reminder):(\d+)(?::|$)", key)
        if found is None:
            return at
        row = Invitation.objects.filter(pk=int(found[1])).values_list(
            "appointment_id", "instruments"
        )
        appointment_id, instruments = row.first() or (None, [])
        if appointment_id is None or PREVISIT not in instruments:
            return at
    site = Site.objects.filter(care_teams__patients=notification.patient_id).first()
    return daytime(at, site.zone) if site is not None else at


def _rounds(pk: int) -> int:
    """How many times invitation `pk` was sent (a moved visit's check-in is sent again)."""
    return Notification.objects.filter(
        Q(dedupe_key=f"invitation:{pk}") | Q(dedupe_key__startswith=f"invitation:{pk}:")
    ).count()


def _key(kind: str, pk: int, round_: int, number: int | None = None) -> str:
    """The dedupe key of a message: "invitation:7", "reminder:7:1"; from the second round
    on (the visit moved, the check-in goes again) the round is added, so it is a new row."""
    key = f"{kind}:{pk}" + (f":{number}" if number is not None else "")
    return key if round_ <= 0 else f"{key}:{round_ + 1}"


def dispatch_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Expire, send and remind what is due at `now`; return counts of each."""
    now = now or clock.now()
    counts = {"expired": 0, "sent": 0, "reminded": 0}
    counts["expired"] = expire_due(now)
    due = Invitation.objects.filter(
        status=InvitationStatus.SCHEDULED, due_at__lte=now, expires_at__gt=now
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        if _held_for_morning(pk, now):
            continue
        inv = Invitation.objects.get(pk=pk)
        if cancel_if_nothing_fits(inv):
            counts["cancelled"] = counts.get("cancelled", 0) + 1
            continue  # only taper questions, and no taper under way: nothing to send
        with transaction.atomic():
            claimed = Invitation.objects.filter(pk=pk, status=InvitationStatus.SCHEDULED).update(
                status=InvitationStatus.SENT, sent_at=now
            )
            if not claimed:
                continue  # another worker got it
            inv = Invitation.objects.select_related("patient__care_team__site").get(pk=pk)
            inv.next_reminder_at = next_reminder(inv, 0)
            inv.save(update_fields=["next_reminder_at"])
            notify(inv, "invitation", _key("invitation", pk, _rounds(pk)), now)
            counts["sent"] += 1
    reminders = Invitation.objects.filter(
        status__in=[InvitationStatus.SENT, InvitationStatus.IN_PROGRESS],
        next_reminder_at__lte=now,
        expires_at__gt=now,
    ).values_list("pk", "reminders_sent")
    for pk, sent in list(reminders[:500]):
        if _held_for_morning(pk, now):
            continue
        with transaction.atomic():
            inv = Invitation.objects.select_related("patient__care_team__site").get(pk=pk)
            claimed = Invitation.objects.filter(
                pk=pk, reminders_sent=sent, status__in=OPEN_STATUSES
            ).update(reminders_sent=sent + 1, next_reminder_at=next_reminder(inv, sent + 1))
            if not claimed:
                continue
            notify(inv, "reminder", _key("reminder", pk, _rounds(pk) - 1, sent + 1), now)
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
