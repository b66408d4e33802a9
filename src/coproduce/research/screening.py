"""The screening log: eligible candidates from the registry, approached, declined, confirmed.

CONSORT counts come from these rows (consort.py). The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.people.models import Patient, Site, User
from coproduce.platform import clock
from coproduce.registry.mme_sql import current_mme_subquery
from coproduce.research.models import CriterionKind, Study
from coproduce.research.participants import DeclineReason, Participant, Status


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def registry_eligible(study: Study, site: Site, *, on: dt.date) -> QuerySet[Patient]:
    """Patients of `site` who meet the study's structured criteria on `on` (annotated `mme`)."""
    patients = Patient.objects.filter(care_team__site=site).annotate(mme=current_mme_subquery(on))
    if study.condition:
        patients = patients.filter(conditions__condition=study.condition)
    if study.care_program_id:
        patients = patients.filter(
            enrollments__program_id=study.care_program_id, enrollments__ended_on__isnull=True
        )
    if study.min_age is not None:
        patients = patients.filter(date_of_birth__lte=_years_before(on, study.min_age))
    if study.max_age is not None:
        # Aged at most max_age: born after the day they would have turned max_age + 1.
        patients = patients.filter(date_of_birth__gt=_years_before(on, study.max_age + 1))
    if study.min_baseline_mme is not None:
        patients = patients.filter(mme__gte=float(study.min_baseline_mme))
    if study.max_baseline_mme is not None:
        patients = patients.filter(mme__lte=float(study.max_baseline_mme))
    return patients.distinct()


def candidates(study: Study, site: Site, *, on: dt.date) -> QuerySet[Patient]:
    """Registry-eligible patients of `site` not yet in the study's screening log."""
    logged = Participant.objects.filter(study=study).values("patient")
    return registry_eligible(study, site, on=on).exclude(pk__in=logged).order_by("family_name")


def screen(
    study: Study, patient: Patient, *, by: User, now: dt.datetime | None = None
) -> Participant:
    """Enter an eligible candidate in the screening log."""
    now = now or clock.now()
    site = patient.care_team.site
    if not study.sites.filter(pk=site.pk).exists():
        raise ValidationError(_("This patient's clinic does not take part in the study."))
    if Participant.objects.filter(study=study, patient=patient).exists():
        raise ValidationError(_("This patient is already in the screening log."))
    found = (
        registry_eligible(study, site, on=clock.clinic_today(site, now))
        .filter(pk=patient.pk)
        .first()
    )
    if found is None:
        raise ValidationError(_("This patient does not meet the study's registry criteria."))
    mme = getattr(found, "mme", None)  # annotated by registry_eligible
    participant = Participant.objects.create(
        study=study,
        patient=patient,
        site=site,
        screened_at=now,
        screened_by=by,
        baseline_mme=Decimal(str(round(mme, 2))) if mme is not None else None,
    )
    record("research.screened", actor=by, patient=patient, obj=participant)
    return participant


def approach(participant: Participant, *, by: User, now: dt.datetime | None = None) -> None:
    """Mark that the coordinator has spoken to the patient about the study."""
    if participant.status != Status.SCREENED:
        raise ValidationError(_("Only a screened patient can be marked as approached."))
    participant.status = Status.APPROACHED
    participant.approached_at = now or clock.now()
    participant.save(update_fields=["status", "approached_at"])
    record("research.approached", actor=by, patient=participant.patient, obj=participant)


def decline(
    participant: Participant,
    *,
    reason: str,
    note: str = "",
    by: User,
    now: dt.datetime | None = None,
) -> None:
    """Record that the patient declined, with the reason (CONSORT 'declined to participate')."""
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    if reason == DeclineReason.OTHER and not note.strip():
        raise ValidationError({"note": _("Say what the other reason is.")})
    if participant.status not in (Status.SCREENED, Status.APPROACHED):
        raise ValidationError(_("Only a patient who has not joined can decline."))
    now = now or clock.now()
    participant.status = Status.DECLINED
    participant.declined_at = now
    participant.approached_at = participant.approached_at or now
    participant.decline_reason = reason
    participant.decline_note = note.strip()[:300]
    participant.save(
        update_fields=["status", "declined_at", "approached_at", "decline_reason", "decline_note"]
    )
    record(
        "research.declined",
        actor=by,
        patient=participant.patient,
        obj=participant,
        detail={"reason": reason},
    )


def confirm_eligibility(
    participant: Participant,
    answers: dict[str, bool],
    *,
    by: User,
    now: dt.datetime | None = None,
) -> bool:
    """Record the coordinator's answer to every confirmed criterion; return whether eligible."""
    now = now or clock.now()
    criteria = list(participant.study.confirmed_criteria.all())
    missing = [c for c in criteria if str(c.pk) not in answers]
    if missing:
        raise ValidationError(
            _("Answer every criterion (missing: %(text)s).") % {"text": missing[0].text}
        )
    if participant.status in (Status.DECLINED, Status.INELIGIBLE, Status.WITHDRAWN):
        raise ValidationError(_("This patient is no longer being screened."))
    if participant.eligibility_confirmed_at is not None:
        raise ValidationError(_("Eligibility has already been confirmed."))
    eligible = all(
        answers[str(c.pk)] is (c.kind == CriterionKind.INCLUSION) for c in criteria
    ) and _still_eligible(participant, clock.clinic_today(participant.site, now))
    participant.criteria = {str(c.pk): bool(answers[str(c.pk)]) for c in criteria}
    fields = ["criteria"]
    if eligible:
        participant.eligibility_confirmed_at = now
        participant.eligibility_confirmed_by = by
        fields += ["eligibility_confirmed_at", "eligibility_confirmed_by"]
    elif participant.status in (Status.SCREENED, Status.APPROACHED):
        participant.status = Status.INELIGIBLE
        fields.append("status")
    participant.save(update_fields=fields)
    record(
        "research.eligibility",
        actor=by,
        patient=participant.patient,
        obj=participant,
        detail={"eligible": eligible},
    )
    return eligible


def _still_eligible(participant: Participant, on: dt.date) -> bool:
    return (
        registry_eligible(participant.study, participant.site, on=on)
        .filter(pk=participant.patient_id)
        .exists()
    )
