import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coproduce.people.models import ProxyKind, Role
from coproduce.people.services import give_patient_login, grant_proxy, register_patient
from tests import factories


def test_it_refuses_a_teen_login_below_the_sites_age(world):
    young = factories.make_patient(world.team_a, born=dt.date(2016, 6, 1))
    user = factories.make_user(Role.PATIENT)
    with pytest.raises(ValidationError, match="under 12"):
        give_patient_login(young, user, today=dt.date(2026, 11, 24))


def test_it_gives_a_teen_a_login_from_the_sites_age(world):
    teen = factories.make_patient(world.team_a, born=dt.date(2014, 11, 24))
    user = factories.make_user(Role.PATIENT)
    give_patient_login(teen, user, today=dt.date(2026, 11, 24))
    teen.refresh_from_db()
    assert teen.user == user


def test_it_respects_a_site_specific_teen_age(world):
    site = factories.make_site(teen_login_age=15)
    teen = factories.make_patient(factories.make_team(site), born=dt.date(2012, 1, 1))
    with pytest.raises(ValidationError, match="under 15"):
        give_patient_login(teen, factories.make_user(Role.PATIENT), today=dt.date(2026, 11, 24))


def test_it_refuses_unknown_conditions_and_stores_nothing(world):
    from coproduce.people.models import Patient

    count = Patient.objects.count()
    with pytest.raises(ValidationError, match="Unknown condition"):
        register_patient(
            actor=world.nina,
            care_team=world.team_a,
            given_name="X",
            family_name="Y",
            date_of_birth=dt.date(1970, 1, 1),
            conditions=["gout-ish"],
        )
    assert Patient.objects.count() == count


def test_it_refuses_family_read_access_to_a_minor(world):
    with pytest.raises(ValidationError, match="adult"):
        grant_proxy(
            actor=world.nina, patient=world.tom, user=world.paula, kind=ProxyKind.FAMILY_READ
        )


def test_it_uses_unguessable_registry_ids_not_primary_keys(world):
    assert world.alice.registry_id.startswith("CP-")
    assert (
        str(world.alice.pk) not in world.alice.registry_id[3:] or len(world.alice.registry_id) == 11
    )
