"""A teen's confidential questionnaires stay the teen's: no parent opens, answers or is sent them.

From the site's teen login age to 17 the instruments of `Site.teen_confidential_instruments`
(PHQ-9, substance use) are answered by the young person alone (people.access
`private_from_parents`). A check-in that mixes them with other questions is split when a
parent would open it or be sent its link: the parent keeps the other questions, the teen's
go to a check-in of their own (with any answers the teen already gave), which reaches the
teen by their own address or on their own page, never the parent's. Red flags in the teen's
answers reach the care team as for anyone.
"""

from __future__ import annotations

from django.db import transaction

from coproduce.audit.services import record
from coproduce.checkins.models import Invitation, InvitationStatus
from coproduce.people.access import hidden_from_proxy
from coproduce.people.models import User


class OnlyForTheTeen(Exception):
    """Every question of the check-in is the teen's own to answer: nothing is left for a parent."""

    def __init__(self, invitation: Invitation) -> None:
        super().__init__(invitation.pk)
        self.invitation = invitation


def private_in(invitation: Invitation, hidden: frozenset[str]) -> list[str]:
    """The instruments of `invitation` that are in `hidden`, in the invitation's order."""
    return [i for i in invitation.instruments if i in hidden]


def only_for_the_teen(user: User, invitation: Invitation) -> bool:
    """True when `user` is a parent and every question of `invitation` is the teen's own."""
    hidden, _ = hidden_from_proxy(user, invitation.patient)
    return bool(invitation.instruments) and set(invitation.instruments) <= hidden


def keep_from_parent(invitation: Invitation, hidden: frozenset[str]) -> Invitation:
    """Move the `hidden` instruments of an open check-in into one for the teen alone.

    Returns the check-in left for the parent (the same row, its links still open it); raises
    OnlyForTheTeen when nothing would be left. The teen's draft answers to the moved
    instruments and their free text go with them; the move is audited. The caller may hold a
    transaction.
    """
    private = private_in(invitation, hidden)
    if not private:
        return invitation
    if len(private) == len(invitation.instruments):
        raise OnlyForTheTeen(invitation)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        private = private_in(invitation, hidden)
        if not private:
            return invitation
        draft = dict(invitation.draft or {})
        answers = dict(draft.get("answers") or {})
        teens = Invitation.objects.create(
            patient=invitation.patient,
            appointment=invitation.appointment,
            schedule=None,  # (patient, schedule, due time) is the original's
            instruments=private,
            due_at=invitation.due_at,
            expires_at=invitation.expires_at,
            reminder_days=invitation.reminder_days,
            screening=invitation.screening,
            # Scheduled: the dispatcher sends the teen a link of their own (if they have an
            # address; never to the parent), and it is on the teen's page from its due time.
            status=InvitationStatus.SCHEDULED,
            # What the teen typed so far is theirs too: the free text goes with their answers.
            draft={
                "answers": {k: v for k, v in answers.items() if k in private},
                "free_text": draft.pop("free_text", ""),
            },
            created_at=invitation.created_at,
        )
        invitation.instruments = [i for i in invitation.instruments if i not in private]
        draft["answers"] = {k: v for k, v in answers.items() if k not in private}
        invitation.draft = draft
        invitation.save(update_fields=["instruments", "draft"])
        record(
            "checkin.fitted",
            actor=None,
            patient=invitation.patient,
            obj=invitation,
            detail={
                "moved": private,
                "to_invitation": teens.pk,
                "reason": "confidential to the teen: not for a parent",
            },
        )
    return invitation
