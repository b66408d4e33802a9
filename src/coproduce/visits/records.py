"""The coproduced visit record: start, save, share, comment, and the check-in after the visit.

Each function saves, audits and leaves the transaction to the caller (the post-visit
invitation locks the appointment row, so callers run these inside `transaction.atomic()`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coproduce.audit.services import record as audit
from coproduce.checkins.models import CheckinResponse, Invitation
from coproduce.checkins.scheduling import post_visit
from coproduce.people.models import Role, User
from coproduce.platform import clock
from coproduce.visits.dashboard import PREVISIT, previsit_answers
from coproduce.visits.models import (
    Appointment,
    AppointmentStatus,
    RecordStatus,
    VisitComment,
    VisitRecord,
)

COLLABORATE = "collaborate"
# A pre-visit check-in belongs to an appointment when it came in this many days before it
# (the same window as pre-visit planning).
PREVISIT_WINDOW_DAYS = 14
COMMENT_MAX_CHARS = 1000
# The four steps, in the order they are written and read.
STEP_FIELDS = (
    "coassess",
    "options",
    "what_matters",
    "decision",
    "patient_actions",
    "team_actions",
    "next_checkins",
    "follow_up",
)
EDITABLE_FIELDS = ("team_agenda", *STEP_FIELDS)


def _previsit_of(appointment: Appointment) -> dict | None:
    """The answers of the pre-visit check-in that belongs to `appointment`, or None."""
    row = (
        CheckinResponse.objects.filter(
            patient_id=appointment.patient_id,
            answers__has_key=PREVISIT,
            submitted_at__lte=appointment.starts_at,
            submitted_at__gte=appointment.starts_at - dt.timedelta(days=PREVISIT_WINDOW_DAYS),
        )
        .order_by("-submitted_at")
        .values_list("answers", "versions")
        .first()
    )
    if row is None:
        return None
    answers, versions = row
    return previsit_answers(answers.get(PREVISIT) or {}, (versions or {}).get(PREVISIT))


def patient_partner(found: dict | None) -> str:
    """How the patient likes to partner, in their words ("" when they did not say)."""
    if not found:
        return ""
    parts = [p for p in (found["partner"], found["partner_note"]) if p]
    return " — ".join(parts)[:600]


def patient_agenda(appointment: Appointment, found: dict | None = None) -> list[str]:
    """The patient's agenda items from their pre-visit check-in: number ONE first, then topics."""
    found = found if found is not None else _previsit_of(appointment)
    if not found:
        return []
    items = []
    if found["concern"] and not found["no_concern"]:
        items.append(found["concern"])
    items += [t for t in found["topics"] if t and t not in items]
    return items


def latest_shared(patient_id: int) -> VisitRecord | None:
    """The patient's most recently shared visit record (what was decided about their concern)."""
    return (
        VisitRecord.objects.filter(patient_id=patient_id, status=RecordStatus.SHARED)
        .select_related("appointment")
        .order_by("-shared_at", "-pk")
        .first()
    )


def unsaved_record(appointment: Appointment) -> VisitRecord:
    """The record as it would start: the patient's agenda and how they like to partner."""
    found = _previsit_of(appointment)
    return VisitRecord(
        appointment=appointment,
        patient_id=appointment.patient_id,
        patient_agenda=patient_agenda(appointment, found),
        patient_partner=patient_partner(found),
    )


def start_record(*, actor: User, appointment: Appointment) -> tuple[VisitRecord, bool]:
    """The appointment's record, started (as a draft with the patient's agenda) if need be."""
    existing = VisitRecord.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing, False
    draft = unsaved_record(appointment)
    visit_record, created = VisitRecord.objects.get_or_create(
        appointment=appointment,
        defaults={
            "patient_id": appointment.patient_id,
            "patient_agenda": draft.patient_agenda,
            "patient_partner": draft.patient_partner,
            "created_by": actor,
        },
    )
    if created:
        audit(
            "visit_record.started",
            actor=actor,
            patient=appointment.patient,
            obj=visit_record,
            detail={
                "appointment": appointment.pk,
                "patient_items": len(visit_record.patient_agenda),
            },
        )
    return visit_record, created


def save_record(
    *, actor: User, visit_record: VisitRecord, data: dict[str, str], share: bool = False
) -> VisitRecord:
    """Save the team's agenda and the four steps; with `share`, show it to the patient too."""
    changed = []
    for name in EDITABLE_FIELDS:
        if name in data:
            value = (data[name] or "").strip()
            if value != getattr(visit_record, name):
                setattr(visit_record, name, value)
                changed.append(name)
    sharing = share and visit_record.status != RecordStatus.SHARED
    if sharing and not any(getattr(visit_record, f) for f in STEP_FIELDS):
        raise ValidationError(_("Write at least one of the four steps before sharing the record."))
    visit_record.updated_at = clock.now()
    fields = [*changed, "updated_at"]
    if sharing:
        visit_record.status = RecordStatus.SHARED
        visit_record.shared_at = visit_record.updated_at
        visit_record.shared_by = actor
        fields += ["status", "shared_at", "shared_by"]
    visit_record.save(update_fields=fields)
    # Field names only: the audit log says what changed, the record itself says how.
    audit(
        "visit_record.shared" if sharing else "visit_record.saved",
        actor=actor,
        patient=visit_record.patient,
        obj=visit_record,
        detail={"changed": changed, "status": visit_record.status},
    )
    if sharing:
        invite_to_collaborate(actor=actor, appointment=visit_record.appointment)
    return visit_record


def mark_attended(*, actor: User, appointment: Appointment) -> bool:
    """Mark a booked appointment as attended (once) and invite the patient to collaboRATE."""
    # A queryset update() does not go through save(): updated_at (FHIR meta.lastUpdated) is
    # moved here.
    moved = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.ATTENDED, updated_at=clock.now()
    )
    if not moved:
        return False
    appointment.status = AppointmentStatus.ATTENDED
    audit(
        "visit.attended",
        actor=actor,
        patient=appointment.patient,
        obj=appointment,
        detail={"appointment": appointment.pk},
    )
    invite_to_collaborate(actor=actor, appointment=appointment)
    return True


def invite_to_collaborate(
    *, actor: User | None, appointment: Appointment, now: dt.datetime | None = None
) -> tuple[Invitation, bool]:
    """The post-visit collaboRATE invitation of `appointment`, created once however called."""
    # Sharing the record and marking the visit attended may happen at the same moment in two
    # requests: the row lock makes the second one find the first one's invitation.
    locked = (
        Appointment.objects.select_for_update().select_related("patient").get(pk=appointment.pk)
    )
    invitation, created = post_visit(locked, [COLLABORATE], now=now)
    if created:
        audit(
            "visit.collaborate_invited",
            actor=actor,
            patient=locked.patient,
            obj=invitation,
            detail={"appointment": locked.pk, "due_at": invitation.due_at.isoformat()},
        )
    return invitation, created


def can_comment(user: User, visit_record: VisitRecord) -> bool:
    """The patient, or a parent who answers for them, may comment on a shared record."""
    from coproduce.people.access import can_answer_for

    if visit_record.status != RecordStatus.SHARED:
        return False
    if user.role == Role.PATIENT:
        return visit_record.patient.user_id == user.pk
    return user.role == Role.FAMILY and can_answer_for(user, visit_record.patient)


def add_comment(*, actor: User, visit_record: VisitRecord, body: str) -> VisitComment:
    """Add the patient's (or parent's) comment to a shared record; comments are never edited."""
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write your comment first."))
    if len(body) > COMMENT_MAX_CHARS:
        raise ValidationError(
            ngettext(
                "Please keep a comment to %(n)s character.",
                "Please keep a comment to %(n)s characters.",
                COMMENT_MAX_CHARS,
            )
            % {"n": COMMENT_MAX_CHARS}
        )
    if not can_comment(actor, visit_record):
        raise ValidationError(_("Only the patient or their parent can comment on this record."))
    comment = VisitComment.objects.create(
        record=visit_record,
        author=actor,
        author_name=actor.get_full_name() or actor.username,
        body=body,
    )
    patient = visit_record.patient
    audit(
        "visit_record.commented",
        actor=actor,
        patient=patient,
        acting_for=patient if actor.pk != patient.user_id else None,
        obj=comment,
        detail={"record": visit_record.pk, "chars": len(body)},
    )
    return comment
