"""Medicines, MME, taper status, goals and targets on the shared dashboard."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from coproduce.careplans import services as careplans
from coproduce.careplans.models import Goal, GoalKind
from coproduce.people.models import Role
from coproduce.platform import clock
from tests import factories
from tests.careplans.helpers import oxycodone_plan
from tests.visits.helpers import weekly_scores
from tests.visits.test_dashboard import _count_queries, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(world):
    return factories.make_user(Role.CLINICIAN, username="dana", teams=[world.team_a])


def with_care_plan(patient, clinician):
    oxycodone_plan(patient, clinician, start_on=clock.today() - dt.timedelta(days=10))
    careplans.record_medication(
        patient,
        drug="paracetamol",
        strength=500,
        per_day=4,
        started_on=clock.today() - dt.timedelta(days=30),
        by=clinician,
        is_opioid=False,
    )
    Goal.objects.create(
        patient=patient,
        text="Walk the dog every morning",
        instrument_id="peg",
        comparator="<=",
        target_value=Decimal(4),
    )
    Goal.objects.create(
        patient=patient,
        kind=GoalKind.CLINICAL,
        text="Depression in remission",
        instrument_id="phq9",
        comparator="<",
        target_value=Decimal(5),
    )


def dashboard(client, user, patient):
    client.force_login(user)
    return client.get(reverse("visits:dashboard", args=[patient.registry_id]))


def test_it_lists_medicines_with_per_line_and_total_mme(client, world, dana):
    with_care_plan(world.alice, dana)
    response = dashboard(client, world.alice.user, world.alice)
    summary = response.context["careplan"]
    oxy = next(m for m in summary["medications"] if m["name"] == "oxycodone")
    assert oxy["dose"] == "20 mg, 3 a day" and oxy["mme_text"] == "90"
    assert summary["total_mme"] == careplans.current_mme(world.alice)
    html = response.content.decode()
    assert "not an opioid" in html  # paracetamol listed, not added
    assert "<strong>90</strong>" in html


def test_it_shows_the_taper_status(client, world, dana):
    with_care_plan(world.alice, dana)
    html = dashboard(client, dana, world.alice).content.decode()
    status = careplans.taper_status(world.alice)
    assert f"Taper: {status.plan_status_label}; next step on" in html
    assert f"to {status.next_step_mme.normalize():f} MME" in html


def test_it_puts_the_patients_goals_beside_the_clinical_targets(client, world, dana):
    with_care_plan(world.alice, dana)
    html = dashboard(client, world.alice.user, world.alice).content.decode()
    assert "In your words" in html and "“Walk the dog every morning”" in html
    assert "Clinical targets" in html and "Depression in remission" in html
    assert html.index("Walk the dog") < html.index("Depression in remission")
    assert "In their words" in dashboard(client, dana, world.alice).content.decode()


def test_it_draws_goals_and_targets_on_the_matching_chart(client, world, dana):
    with_care_plan(world.alice, dana)
    weekly_scores(world.alice, {"peg": [7, 6, 5], "phq9": [12, 9, 8]})
    trends = {
        t.info.instrument_id: t for t in dashboard(client, dana, world.alice).context["trends"]
    }
    peg, phq = trends["peg"].svg, trends["phq9"].svg
    assert 'class="target target-goal"' in peg and "Goal: at most 4" in peg
    assert "A solid line marks goal: at most 4 (Walk the dog every morning)" in peg
    assert 'class="target target-target"' in phq and "Clinical target: below 5" in phq
    assert "Goal:" not in phq


def test_it_says_so_when_there_is_no_plan_or_medicine(client, world):
    html = dashboard(client, world.nina, world.alice).content.decode()
    assert "No medications recorded." in html
    assert "Taper: No taper plan." in html
    assert "No goals recorded yet." in html


def test_it_keeps_the_query_count_with_a_care_plan_and_ten_years(client, world, dana):
    short = factories.make_patient(world.team_a)
    long = factories.make_patient(world.team_a)
    for patient, weeks in ((short, 10), (long, 520)):
        with_care_plan(patient, dana)
        weekly_scores(patient, {"peg": [w % 10 for w in range(weeks)]})
        visit(patient, 30)
    client.force_login(world.nina)
    _count_queries(client, short)
    # The pinned dashboard plus the open plan's next step and its open requests.
    assert _count_queries(client, short) == 22
    assert _count_queries(client, long) == 22
