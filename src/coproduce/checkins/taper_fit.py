"""Taper questions only for a patient with a taper under way.

A taper plan that is active or paused is under way: a paused taper is still the patient's
taper (the weekly questions on satisfaction and comfort with the dose help decide when to
go on), while a finished, stopped or never-made one is not. A check-in left with nothing
but taper questions for a patient with no taper under way is not sent, offered or opened:
it is cancelled, audited, when that is found.
"""

from __future__ import annotations

from django.db import transaction

from coproduce.audit.services import record
from coproduce.checkins.models import OPEN_STATUSES, Invitation, InvitationStatus

#: Instruments that fit only a patient with a taper under way.
TAPER_INSTRUMENTS = frozenset({"taper-weekly"})


def taper_under_way(patient_id: int) -> bool:
    from coproduce.careplans.models import OPEN_PLAN_STATUSES, TaperPlan

    return TaperPlan.objects.filter(patient_id=patient_id, status__in=OPEN_PLAN_STATUSES).exists()


def only_taper_questions_without_a_taper(invitation: Invitation) -> bool:
    """True for an open check-in of nothing but taper questions, and no taper under way."""
    instruments = list(invitation.instruments)
    return (
        bool(instruments)
        and invitation.status in OPEN_STATUSES
        and all(i in TAPER_INSTRUMENTS for i in instruments)
        and not taper_under_way(invitation.patient_id)
    )


def cancel_if_nothing_fits(invitation: Invitation) -> bool:
    """Cancel `invitation` (audited) if it holds only taper questions and no taper is under
    way; return whether it was cancelled. The caller may hold a transaction."""
    if not only_taper_questions_without_a_taper(invitation):
        return False
    with transaction.atomic():
        cancelled = Invitation.objects.filter(pk=invitation.pk, status__in=OPEN_STATUSES).update(
            status=InvitationStatus.CANCELLED, next_reminder_at=None
        )
        if cancelled:
            record(
                "checkin.fitted",
                actor=None,
                patient=invitation.patient,
                obj=invitation,
                detail={
                    "dropped": list(invitation.instruments),
                    "reason": "only taper questions and no taper plan under way: cancelled",
                },
            )
    invitation.status = InvitationStatus.CANCELLED
    return bool(cancelled)
