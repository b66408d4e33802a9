"""Telling people about an urgent alert after the submit, and noticing when nobody is told.

The submit decides in its plan (engine.py); the jobs start from a stored alert: escalation
(`tell`), and the outbox when an urgent message keeps failing (`escalate_failed_send`).
Either way, an alert that can reach nobody is marked *unreached* once (`mark_unreached`):
the registry admins are e-mailed, the audit log says why, and staff pages show it until a
team member acknowledges it (`unreached_banner`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coproduce.audit.services import record
from coproduce.people.models import CARE_ROLES, PATIENT_SIDE_ROLES, Site
from coproduce.platform.mail import refused_for_good
from coproduce.platform.models import Notification, NotificationStatus, Priority
from coproduce.safetynet.engine import notify
from coproduce.safetynet.models import Alert, AlertStatus
from coproduce.safetynet.recipients import (
    Address,
    Contacts,
    admin_addresses,
    load_contacts,
    site_addresses,
    who_hears,
)

log = logging.getLogger(__name__)

# An urgent message that failed this many times (1 + 2 minutes of backoff between them), or
# that the mail server refused for good, counts as not delivered. The outbox keeps trying.
URGENT_SEND_ATTEMPTS = 3
URGENT_PURPOSES = frozenset({"alert", "escalation"})


def tell(alert: Alert, level: int, *, purpose: str, key: str, now: dt.datetime) -> int:
    """Write outbox rows telling whoever hears `alert` at `level`; mark it unreached if that
    is only the registry admins. Return how many rows were written."""
    contacts = load_contacts(alert.care_team_id)
    hearers = who_hears(contacts, level)
    if hearers.reached:
        return notify(alert, hearers.addresses, purpose=purpose, key=key, now=now)
    mark_unreached(alert, why="no address", now=now, contacts=contacts)
    return 0


def mark_unreached(
    alert: Alert, *, why: str, now: dt.datetime, contacts: Contacts | None = None
) -> bool:
    """Flag `alert` as reaching nobody and tell the registry admins (once per alert)."""
    if not Alert.objects.filter(pk=alert.pk, unreached_at__isnull=True).update(unreached_at=now):
        return False  # flagged already (the admins were told then)
    alert.unreached_at = now
    admins = admin_addresses(contacts or load_contacts(alert.care_team_id))
    notify(alert, admins, purpose="unreached", key=f"unreached:a{alert.pk}", now=now)
    log.error("urgent alert %s reached nobody (%s); registry admins told", alert.pk, why)
    record(
        "alert.unreached",
        patient=alert.patient,
        obj=alert,
        detail={"why": why, "admins": len(admins)},
    )
    return True


def send_test_alert(*, actor: Any, site: Site, now: dt.datetime) -> list[Address]:
    """Queue a test message to `site`'s urgent contact through the outbox, and audit it.

    Refused (ValidationError) for anyone who may not manage sites, and for a site with no
    urgent contact that can be reached here.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm("people.change_site"):
        raise PermissionDenied
    addresses = site_addresses(
        Contacts(site_id=site.pk, site_email=site.urgent_email, site_phone=site.urgent_phone)
    )
    if not addresses:
        raise ValidationError(
            _(
                "This site has no urgent contact that can be reached: give an on-call e-mail "
                "address (or a phone number, once a text-message provider is set up)."
            )
        )
    subject = str(_("Test alert from coproduce for %(site)s") % {"site": site.name})
    body = str(
        _(
            "This is a test of the urgent contact of %(site)s, sent by %(who)s. Urgent alerts "
            "about this site's patients come to this address. Nothing needs doing; if you did "
            "not expect it, tell your registry admin."
        )
        % {"site": site.name, "who": actor.get_full_name() or actor.username}
    )
    Notification.objects.bulk_create(
        [
            Notification(
                channel=a.channel,
                to=a.to,
                subject=subject[:200],
                body=body,
                purpose="test-alert",
                dedupe_key=f"test-alert:s{site.pk}:{now.isoformat()}:{a.key}"[:120],
                next_attempt_at=now,
                created_at=now,
            )
            for a in addresses
        ]
    )
    record("site.test_alert_sent", actor=actor, obj=site, detail={"to": [a.to for a in addresses]})
    return addresses


def escalate_failed_send(
    sender: object, *, notification: Notification, error: BaseException, now: dt.datetime, **_: Any
) -> bool:
    """After a failed send (the outbox's `send_failed`, connected in SafetynetConfig.ready): an
    urgent alert's message refused for good or failing again and again escalates like a
    missing address, unless another message of that alert was delivered or is still to be
    tried (an early escalation is the safe way to err)."""
    if notification.alert_id is None or notification.purpose not in URGENT_PURPOSES:
        return False
    if notification.attempts < URGENT_SEND_ATTEMPTS and not refused_for_good(error):
        return False
    others = Notification.objects.filter(
        alert_id=notification.alert_id, purpose__in=URGENT_PURPOSES
    ).exclude(pk=notification.pk)
    if others.filter(Q(status=NotificationStatus.SENT) | Q(attempts=0)).exists():
        return False
    alert = Alert.objects.select_related("patient", "care_team__site").get(pk=notification.alert_id)
    if alert.status != AlertStatus.OPEN:
        return False  # a person has it already
    return mark_unreached(alert, why=f"sending failed: {type(error).__name__}", now=now)


def unreached_banner(user: Any) -> int:
    """How many open urgent alerts reached nobody, for the banner on staff pages (one query):
    those of the user's teams for care staff, every site's for the other staff roles."""
    if not getattr(user, "is_authenticated", False) or user.role in PATIENT_SIDE_ROLES:
        return 0
    alerts = Alert.objects.filter(
        status=AlertStatus.OPEN, priority=Priority.URGENT, unreached_at__isnull=False
    )
    if user.role in CARE_ROLES:
        alerts = alerts.filter(care_team__memberships__user=user)
    return alerts.count()
