"""Reading check-ins: which are due for whom (access checked here, 404 when not allowed)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404

from coproduce.checkins.models import OPEN_STATUSES, Invitation
from coproduce.checkins.private import only_for_the_teen
from coproduce.checkins.taper_fit import only_taper_questions_without_a_taper
from coproduce.people.access import can_answer_for, patients_visible_to
from coproduce.people.models import Patient, User
from coproduce.platform import clock


def due_for_patient(patient: Patient, *, now: dt.datetime | None = None) -> list[Invitation]:
    """Open check-ins of `patient` (not one of only taper questions with no taper under way)."""
    now = now or clock.now()
    due = Invitation.objects.filter(
        patient=patient, status__in=OPEN_STATUSES, due_at__lte=now, expires_at__gt=now
    ).order_by("due_at")
    return [inv for inv in due if not only_taper_questions_without_a_taper(inv)]


def due_for_user(user: User, *, now: dt.datetime | None = None) -> list[Invitation]:
    """Open check-ins `user` may answer: their own, or their children's for a parent
    (never a teen's check-in of only their confidential questions)."""
    now = now or clock.now()
    patients = [p for p in patients_visible_to(user) if can_answer_for(user, p)]
    due = (
        Invitation.objects.filter(
            patient__in=patients, status__in=OPEN_STATUSES, due_at__lte=now, expires_at__gt=now
        )
        .select_related("patient__care_team__site")
        .order_by("due_at")
    )
    # A parent is not offered a teen's check-in of confidential questions only (private.py),
    # nor anyone a check-in of only taper questions with no taper under way (taper_fit.py).
    return [
        inv
        for inv in due
        if not only_for_the_teen(user, inv) and not only_taper_questions_without_a_taper(inv)
    ]


def invitation_for_user(user: User, pk: int, *, now: dt.datetime | None = None) -> Invitation:
    """Return an open, due invitation `user` may answer, or raise Http404."""
    now = now or clock.now()
    invitation = (
        Invitation.objects.select_related("patient__care_team__site")
        .filter(pk=pk, status__in=OPEN_STATUSES, due_at__lte=now, expires_at__gt=now)
        .first()
    )
    if (
        invitation is None
        or not can_answer_for(user, invitation.patient)
        or only_for_the_teen(user, invitation)
        or only_taper_questions_without_a_taper(invitation)
    ):
        raise Http404("No such check-in.")
    return invitation
