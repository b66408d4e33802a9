"""Who may see which patient. Every read of a patient goes through here.

A patient the user may not see answers exactly like one that does not exist (404), so that
registry IDs cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.http import Http404

from coproduce.audit.services import record
from coproduce.people.models import CARE_ROLES, Patient, ProxyKind, Role, User
from coproduce.platform import clock
from coproduce.platform.text import clean_text


def majority_cutoff(today: dt.date) -> dt.date:
    """Return the latest birth date of someone who is 18 or older on `today`."""
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # 29 February: the 18th birthday is taken as 1 March
        return today.replace(year=today.year - 18, month=2, day=28)


# Apps above people add who else a user may see (research: a coordinator's consented
# participants) without people importing them. Each returns a queryset of patient ids.
_EXTENSIONS: list[Callable[[User], QuerySet]] = []


def extend_visibility(extra: Callable[[User], QuerySet]) -> None:
    """Let `extra(user)` (a queryset of patient pks) add patients `user` may see."""
    if extra not in _EXTENSIONS:
        _EXTENSIONS.append(extra)


def patients_visible_to(user: User, *, today: dt.date | None = None) -> QuerySet[Patient]:
    """Return the patients whose data `user` may see (not audited: audit what you show)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    if user.role in CARE_ROLES:
        # A coordinator is a care-team member only where a site made them one (a membership
        # row); otherwise they see the consented participants of their studies, no more.
        return Patient.objects.filter(Q(care_team__in=user.care_teams.all()) | _extra(user))
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    if user.role == Role.FAMILY:
        today = today or clock.today()
        cutoff = majority_cutoff(today)
        # One filter() call so every condition applies to the same link row.
        return Patient.objects.filter(
            Q(proxy_links__kind=ProxyKind.FAMILY_READ)
            | Q(date_of_birth__gt=cutoff)
            | Q(proxy_links__adult_grant_at__isnull=False),
            proxy_links__user=user,
            proxy_links__revoked_at__isnull=True,
        ).distinct()
    # Investigators, researchers, statisticians, QI leads and registry admins work with
    # de-identified or aggregate data.
    return Patient.objects.none()


def _extra(user: User) -> Q:
    extra = Q(pk__in=[])
    for extension in _EXTENSIONS:
        extra |= Q(pk__in=extension(user))
    return extra


def get_patient_for(
    user: User,
    registry_id: str,
    *,
    event: str = "patient.viewed",
    detail: dict | None = None,
    today: dt.date | None = None,
) -> Patient:
    """Return the patient if `user` may see them and audit the read; else raise Http404."""
    if clean_text(registry_id) != registry_id:
        # No registry ID holds a NUL or a lone surrogate, and PostgreSQL cannot even compare
        # one: such an ID is simply not found (never cleaned into someone else's ID).
        raise Http404("No such patient.")
    try:
        patient = (
            patients_visible_to(user, today=today)
            .select_related("care_team__site", "user")
            .get(registry_id=registry_id)
        )
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None
    record(
        event,
        actor=user,
        patient=patient,
        acting_for=patient if user.role == Role.FAMILY else None,
        obj=patient,
        detail=detail,
    )
    return patient


def can_answer_for(user: User, patient: Patient, *, today: dt.date | None = None) -> bool:
    """Return whether `user` may answer check-ins on `patient`'s behalf (self or parent)."""
    if user.role == Role.PATIENT:
        return patient.user_id == user.pk
    if user.role != Role.FAMILY:
        return False
    return (
        patients_visible_to(user, today=today)
        .filter(pk=patient.pk, proxy_links__user=user, proxy_links__kind=ProxyKind.PARENT)
        .exists()
    )


def may_download_record(user: User, patient: Patient, *, today: dt.date | None = None) -> bool:
    """Return whether `user` may download `patient`'s whole record (right of access).

    The patient always may; a parent only while the child is below the site's teen login age
    (from then on the young person decides). Other family and staff may not.
    """
    if user.role == Role.PATIENT:
        return patient.user_id == user.pk
    if user.role != Role.FAMILY:
        return False
    site = patient.care_team.site
    day = today or clock.clinic_today(site)
    if patient.age_on(day) >= site.teen_login_age:
        return False
    return patient.proxy_links.filter(
        user=user, kind=ProxyKind.PARENT, revoked_at__isnull=True
    ).exists()


def hidden_from_proxy(
    user: User, patient: Patient, *, today: dt.date | None = None
) -> tuple[frozenset[str], bool]:
    """(instruments ``user`` may not see item by item, whether their band may be shown).

    Only a family member viewing a patient aged from the site's teen login age to 17 is
    kept from anything; the patient and the care team see everything.
    """
    if user.role != Role.FAMILY:
        return frozenset(), False
    return private_from_parents(patient, today=today)


def private_from_parents(
    patient: Patient, *, today: dt.date | None = None
) -> tuple[frozenset[str], bool]:
    """(instruments a parent of `patient` may not see, answer or be sent, band shown?).

    Nothing is kept from a parent of a child below the site's teen login age or of an adult
    (a parent sees an adult only by the adult's grant, and then as family, not as proxy).
    """
    site = patient.care_team.site
    age = patient.age_on(today or clock.clinic_today(site))
    if not site.teen_login_age <= age < 18:
        return frozenset(), False
    return frozenset(site.teen_confidential_instruments or ()), site.teen_parent_sees_band
