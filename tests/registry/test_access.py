"""QI leads see aggregates only: no registry ID, no name on any registry page."""

import datetime as dt

import pytest
from django.urls import get_resolver

from coproduce.platform import clock
from coproduce.registry.measures import MEASURES
from coproduce.registry.models import PdsaAnnotation
from coproduce.registry.rollups import refresh_rollups
from tests import factories
from tests.registry.helpers import medication, score, taper_plan
from tests.registry.test_pages import fill


def registry_urls():
    urls = ["/registry/measures/", "/registry/population/", "/registry/population/?format=csv"]
    for measure_id in MEASURES:
        urls += [f"/registry/measures/{measure_id}/", f"/registry/measures/{measure_id}/funnel/"]
    return urls


def test_it_covers_every_registry_url_pattern():
    from coproduce.registry import urls

    assert {p.name for p in urls.urlpatterns} == {
        "measure-list",
        "measure-detail",
        "measure-funnel",
        "population-list",
    }
    assert get_resolver()  # the patterns are mounted


@pytest.fixture
def busy(world):
    """A registry with data behind every measure, at two sites."""
    patients = [world.alice, world.tom] + [factories.make_patient(world.team_b) for _ in range(6)]
    today = clock.today()
    for p in patients:
        fill(p, months=4)
        taper_plan(p, world.carl, today - dt.timedelta(days=120), 120)
        medication(p, "morphine", 100, 1, today - dt.timedelta(days=100))
        for days in (125, 60, 30, 5):
            at = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(9), tzinfo=dt.UTC)
            score(p, "peg", at, 6.0)
            score(p, "phq9", at, 5 + days % 7)
            score(p, "das28-crp", at, 4.0, band="moderate")
            score(p, "collaborate", at, 9.0)
    PdsaAnnotation.objects.create(
        measure_id="checkin-completion", on=today, title="Huddle", author=world.nina
    )
    return patients


@pytest.mark.parametrize("rolled_up", [False, True])
def test_it_never_shows_a_qi_lead_a_patient_row(client, world, busy, rolled_up):
    if rolled_up:
        refresh_rollups(clock.today() - dt.timedelta(days=800))
    client.force_login(world.quinn)
    for url in registry_urls():
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code in (200, 404), url
        if url.startswith("/registry/population/"):
            assert response.status_code == 404
        for patient in busy:
            assert patient.registry_id not in body, url
            assert patient.family_name not in body, url
        assert "Alice" not in body and "/patients/" not in body, url


def test_it_suppresses_small_cells_on_every_measure_page_and_funnel(client, world):
    # Four patients or events per site and month: every figure is a small cell.
    today = clock.today()
    for p in [world.alice, world.tom, *(factories.make_patient(world.team_a) for _ in range(2))]:
        at = dt.datetime.combine(today.replace(day=2), dt.time(9), tzinfo=dt.UTC)
        score(p, "das28-crp", at, 4.0, band="moderate")
    fill(world.alice, months=1, per_month=4)
    client.force_login(world.quinn)
    for measure_id in ("ra-remission-low", "checkin-completion"):
        body = client.get(f"/registry/measures/{measure_id}/").content.decode()
        assert "<svg" not in body
        assert '<td class="num">4</td>' not in body
        funnel = client.get(f"/registry/measures/{measure_id}/funnel/").content.decode()
        assert "not shown (fewer than 5)" in funnel
        assert '<td class="num">4</td>' not in funnel
