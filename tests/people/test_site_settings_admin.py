"""A registry admin changes a site's settings in the admin: the teens' confidential
questionnaires, and the visit settings (pre-visit timing, the seen-within target)."""

from __future__ import annotations

import pytest

from coproduce.people.models import Site
from coproduce.visits.models import SitePolicy

pytestmark = pytest.mark.django_db


def _site_form(site: Site, **changes) -> dict:
    return {
        "network": site.network_id,
        "name": site.name,
        "slug": site.slug,
        "time_zone": site.time_zone,
        "teen_login_age": site.teen_login_age,
        "urgent_email": "on-call@north.example.org",
        "urgent_phone": "",
        "teen_confidential_instruments": '["phq9", "crafft"]',
        "teen_parent_sees_band": "",
        **changes,
    }


def test_a_registry_admin_sets_the_teens_confidential_questionnaires(client, world):
    site = world.team_a.site
    client.force_login(world.adam)
    page = client.get(f"/admin/people/site/{site.pk}/change/").content.decode()
    assert "Teens&#x27; confidential questionnaires" in page
    assert 'name="teen_confidential_instruments"' in page and 'name="teen_parent_sees_band"' in page
    changed = client.post(
        f"/admin/people/site/{site.pk}/change/",
        _site_form(
            site, teen_confidential_instruments='["phq9", "gad7"]', teen_parent_sees_band="on"
        ),
    )
    assert changed.status_code == 302
    site.refresh_from_db()
    assert site.teen_confidential_instruments == ["phq9", "gad7"] and site.teen_parent_sees_band


def test_an_unknown_instrument_id_gets_a_clear_message_and_changes_nothing(client, world):
    site = world.team_a.site
    before = list(site.teen_confidential_instruments)
    client.force_login(world.adam)
    for value, message in (
        ('["phq9", "phq-9"]', "Unknown instrument ID: phq-9. Known IDs:"),
        ('"phq9"', "Give a list of instrument IDs in brackets"),
    ):
        page = client.post(
            f"/admin/people/site/{site.pk}/change/",
            _site_form(site, teen_confidential_instruments=value),
        )
        assert page.status_code == 200 and message in page.content.decode()
        site.refresh_from_db()
        assert site.teen_confidential_instruments == before


def test_a_registry_admin_changes_the_visit_settings_of_a_site(client, world):
    site = world.team_a.site
    client.force_login(world.adam)
    assert "Site policies" in client.get("/admin/").content.decode()
    added = client.post(
        "/admin/visits/sitepolicy/add/",
        {"site": site.pk, "previsit_days_before": 5, "target_working_days": 8},
    )
    assert added.status_code == 302
    policy = SitePolicy.objects.get(site=site)
    assert (policy.previsit_days_before, policy.target_working_days) == (5, 8)
    refused = client.post(
        f"/admin/visits/sitepolicy/{policy.pk}/change/",
        {"site": site.pk, "previsit_days_before": 0, "target_working_days": 8},
    )
    assert refused.status_code == 200
    assert "Send the pre-visit check-in 1 to 30 days before the visit." in (
        refused.content.decode()
    )
    policy.refresh_from_db()
    assert policy.previsit_days_before == 5


def test_the_visit_settings_are_not_for_other_roles(client, world):
    client.force_login(world.nina)
    assert client.get("/admin/visits/sitepolicy/").status_code in (302, 403, 404)
