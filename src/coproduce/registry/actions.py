"""Registry state changes: PDSA annotations (one function per action, audited)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied

from coproduce.audit.services import record
from coproduce.people.models import CARE_ROLES, Role, Site, User
from coproduce.registry.measures import MEASURES
from coproduce.registry.models import PdsaAnnotation


def annotation_sites(user: User):
    """Sites `user` may annotate: any for QI leads, their own teams' sites for care staff."""
    if user.role == Role.QI_LEAD:
        return Site.objects.order_by("name")
    if user.role in CARE_ROLES:
        return Site.objects.filter(care_teams__members=user).distinct().order_by("name")
    return Site.objects.none()


def may_annotate_network(user: User) -> bool:
    return user.role == Role.QI_LEAD


def add_annotation(
    *,
    author: User,
    measure_id: str,
    site: Site | None,
    on: dt.date,
    title: str,
    note: str = "",
    new_phase: bool = False,
) -> PdsaAnnotation:
    """Store a PDSA annotation and audit it; the caller owns the transaction."""
    if measure_id not in MEASURES:
        raise ValueError(f"unknown measure {measure_id!r}")
    if site is None and not may_annotate_network(author):
        raise PermissionDenied("Only QI leads annotate network-wide changes.")
    if site is not None and not annotation_sites(author).filter(pk=site.pk).exists():
        raise PermissionDenied("You may annotate only your own sites.")
    annotation = PdsaAnnotation.objects.create(
        measure_id=measure_id,
        site=site,
        on=on,
        title=title,
        note=note,
        new_phase=new_phase,
        author=author,
    )
    record(
        "registry.pdsa.added",
        actor=author,
        obj=annotation,
        detail={"measure": measure_id, "site": site.pk if site else None, "on": on.isoformat()},
    )
    return annotation
