"""State changes for people: each one saves, audits, and leaves the transaction to the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coproduce.audit.services import record
from coproduce.people.models import (
    CareTeam,
    Condition,
    Network,
    Patient,
    PatientCondition,
    ProxyKind,
    ProxyLink,
    Role,
    Site,
    User,
)
from coproduce.platform import clock


def site_to_set_up(*, network: Network, name: str, slug: str, **fields: Any) -> Site:
    """An unsaved, checked site: refused (ValidationError) without an urgent contact."""
    site = Site(network=network, name=name, slug=slug, **fields)
    site.full_clean(validate_unique=False, validate_constraints=False)
    return site


def set_up_site(
    *, actor: User | None, network: Network, name: str, slug: str, **fields: Any
) -> Site:
    """Create a site (unique name and slug, an urgent contact: e-mail, phone or both)."""
    site = site_to_set_up(network=network, name=name, slug=slug, **fields)
    site.validate_unique()
    site.validate_constraints()
    site.save()
    record("site.created", actor=actor, obj=site, detail={"urgent_contact": site.urgent_contact})
    return site


def register_patient(
    *,
    actor: User | None,
    care_team: CareTeam,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    conditions: list[str],
    **fields: Any,
) -> Patient:
    """Create a patient with conditions, refusing unknown conditions or future birth dates."""
    unknown = sorted(set(conditions) - set(Condition.values))
    if unknown:
        raise ValidationError(
            ngettext(
                "Unknown condition: %(names)s.", "Unknown conditions: %(names)s.", len(unknown)
            )
            % {"names": ", ".join(unknown)}
        )
    if date_of_birth > clock.today():
        raise ValidationError(_("Date of birth cannot be in the future."))
    patient = Patient.objects.create(
        care_team=care_team,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        **fields,
    )
    PatientCondition.objects.bulk_create(
        [PatientCondition(patient=patient, condition=c) for c in conditions]
    )
    record("patient.created", actor=actor, patient=patient, obj=patient)
    return patient


def give_patient_login(patient: Patient, user: User, *, today: dt.date | None = None) -> None:
    """Link a login to a patient; young patients get one only from their site's teen age."""
    today = today or clock.today()
    minimum = patient.care_team.site.teen_login_age
    if patient.age_on(today) < minimum:
        raise ValidationError(
            f"{patient.registry_id} is under {minimum}, the age from which this clinic "
            "allows a login of their own; a parent answers for them."
        )
    if user.role != Role.PATIENT:
        raise ValidationError(_("Only a patient account can be linked to a patient."))
    patient.user = user
    patient.save(update_fields=["user"])
    record("patient.updated", actor=user, patient=patient, detail={"change": "login linked"})


def grant_proxy(
    *, actor: User | None, patient: Patient, user: User, kind: str, relationship: str = ""
) -> ProxyLink:
    """Let `user` act for (parent) or read (family) `patient`'s data."""
    if user.role != Role.FAMILY:
        raise ValidationError(_("Only a family account can be given access to a patient."))
    if kind == ProxyKind.FAMILY_READ and patient.age_on(clock.today()) < 18:
        raise ValidationError(_("Family read access is granted by the patient as an adult."))
    link, _created = ProxyLink.objects.update_or_create(
        user=user,
        patient=patient,
        defaults={"kind": kind, "relationship": relationship, "revoked_at": None},
    )
    record(
        "proxy.granted",
        actor=actor,
        patient=patient,
        obj=link,
        detail={"user": user.username, "kind": kind},
    )
    return link


def grant_adult_access(*, patient_user: User, link: ProxyLink) -> ProxyLink:
    """Record an adult patient's choice to keep a parent's access after turning 18."""
    patient = link.patient
    if patient.user_id != patient_user.pk:
        raise ValidationError(_("Only the patient can grant continued access."))
    link.adult_grant_at = clock.now()
    link.save(update_fields=["adult_grant_at"])
    record(
        "proxy.granted",
        actor=patient_user,
        patient=patient,
        obj=link,
        detail={"user": link.user.username, "kind": "adult_grant"},
    )
    return link


def revoke_proxy(*, actor: User, link: ProxyLink) -> None:
    link.revoked_at = clock.now()
    link.save(update_fields=["revoked_at"])
    record(
        "proxy.revoked",
        actor=actor,
        patient=link.patient,
        obj=link,
        detail={"user": link.user.username},
    )


def patient_summary(patient: Patient) -> dict[str, Any]:
    """Return what the patient page shows: conditions, programs, appointments, proxies."""
    now = clock.now()
    return {
        "patient": patient,
        "conditions": [c.get_condition_display() for c in patient.conditions.all()],
        "enrollments": list(
            patient.enrollments.filter(ended_on__isnull=True).select_related("program")
        ),
        "appointments": list(
            patient.appointments.filter(starts_at__gte=now)
            .select_related("clinician")
            .order_by("starts_at")[:5]
        ),
        "proxies": list(patient.proxy_links.filter(revoked_at__isnull=True).select_related("user")),
        "site_zone": patient.care_team.site.zone,
    }
