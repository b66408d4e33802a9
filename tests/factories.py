"""Small builders for test data (plain functions, real database rows)."""

from __future__ import annotations

import datetime as dt
import itertools

from coproduce.people.models import (
    CareTeam,
    CareTeamMembership,
    Network,
    Patient,
    PatientCondition,
    ProxyKind,
    ProxyLink,
    Role,
    Site,
    User,
)

_seq = itertools.count(1)


def make_site(name: str | None = None, *, network: Network | None = None, **fields) -> Site:
    n = next(_seq)
    network = network or Network.objects.get_or_create(name="Test network")[0]
    return Site.objects.create(
        network=network, name=name or f"Site {n}", slug=f"site-{n}", **fields
    )


def make_team(site: Site | None = None, name: str | None = None) -> CareTeam:
    return CareTeam.objects.create(site=site or make_site(), name=name or f"Team {next(_seq)}")


def make_user(role: str, *, username: str | None = None, teams=(), **fields) -> User:
    user = User.objects.create_user(
        username=username or f"{role}{next(_seq)}",
        password="pw-for-tests",
        role=role,
        first_name=fields.pop("first_name", role.capitalize()),
        last_name=fields.pop("last_name", "Test"),
        **fields,
    )
    for team in teams:
        CareTeamMembership.objects.create(user=user, care_team=team)
    return user


def make_patient(
    team: CareTeam, *, born: dt.date = dt.date(1980, 5, 17), login: bool = False, **fields
) -> Patient:
    patient = Patient.objects.create(
        care_team=team,
        given_name=fields.pop("given_name", "Pat"),
        family_name=fields.pop("family_name", f"Ient{next(_seq)}"),
        date_of_birth=born,
        **fields,
    )
    PatientCondition.objects.create(patient=patient, condition="chronic_pain")
    if login:
        patient.user = make_user(Role.PATIENT)
        patient.save(update_fields=["user"])
    return patient


def link_proxy(user: User, patient: Patient, kind: str = ProxyKind.PARENT) -> ProxyLink:
    return ProxyLink.objects.create(user=user, patient=patient, kind=kind)
