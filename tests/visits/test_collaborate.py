"""collaboRATE after the visit: top-score figures from 25 encounters, never the answers."""

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.urls import reverse

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import Score
from coproduce.checkins.services import submit_checkin
from coproduce.people.models import Role
from coproduce.platform import clock
from coproduce.visits import collaborate, records
from coproduce.visits.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)
TOP = (9, 9, 9)
# Answers no page may ever show: distinctive enough to find in any HTML.
TELLTALE = (3, 1, 4)


@pytest.fixture
def dana(world):
    return factories.make_user(
        Role.CLINICIAN, username="dana", first_name="Dana", last_name="Berg", teams=[world.team_a]
    )


@pytest.fixture
def eric(world):
    return factories.make_user(
        Role.CLINICIAN, username="eric", first_name="Eric", last_name="Holm", teams=[world.team_a]
    )


def encounter(clinician, patient, answers, *, days_ago: int = 1) -> Appointment:
    """A past visit, its post-visit invitation, and the patient's collaboRATE answers."""
    appointment = Appointment.objects.create(
        patient=patient,
        care_team=patient.care_team,
        clinician=clinician,
        starts_at=clock.now() - dt.timedelta(days=days_ago, minutes=next(_keys)),
    )
    with transaction.atomic():
        invitation, _ = records.invite_to_collaborate(actor=clinician, appointment=appointment)
    submit_checkin(
        invitation=invitation,
        answers={"collaborate": {f"collaborate-{i}": v for i, v in enumerate(answers, 1)}},
        idempotency_key=f"collab-{next(_keys)}",
        submitted_by=patient.user,
    )
    return appointment


def encounters(clinician, patient, top: int, other: int) -> None:
    for _ in range(top):
        encounter(clinician, patient, TOP)
    for _ in range(other):
        encounter(clinician, patient, (9, 8, 9))


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("visits:collaborate"))
    assert response.status_code == 200
    return response.content.decode()


def test_it_scores_the_post_visit_check_in(world, dana):
    encounter(dana, world.alice, TOP)
    score = Score.objects.get(instrument_id="collaborate")
    assert score.complete and score.score == 9 and score.derived["top_score"] == 1


def test_it_withholds_a_clinician_figure_under_25_encounters(client, world, dana):
    encounters(dana, world.alice, top=24, other=0)
    assert collaborate.for_clinician(dana).top_percent is None
    html = page(client, dana)
    assert (
        "Not shown: a collaboRATE figure needs at least 25 complete encounters, "
        "and there are 24 so far."
    ) in html
    assert "100 %" not in html


def test_it_shows_a_clinician_figure_from_25_encounters(client, world, dana):
    encounters(dana, world.alice, top=20, other=5)
    figure = collaborate.for_clinician(dana)
    assert (figure.encounters, figure.top_percent) == (25, 80.0)
    html = page(client, dana)
    assert "80 %" in html
    assert "of your 25 visits" in html
    assert "Not shown" not in html


def test_it_counts_only_complete_encounters_of_the_last_year(world, dana):
    encounters(dana, world.alice, top=24, other=0)
    encounter(dana, world.alice, TOP, days_ago=400)
    # A partial response (possible from imports: items are required on the web) never counts.
    Score.objects.filter(pk=Score.objects.order_by("pk").first().pk).update(complete=False)
    assert collaborate.for_clinician(dana).encounters == 23
    assert collaborate.for_clinician(dana).top_percent is None


def test_it_shows_a_clinician_only_their_own_figure(client, world, dana, eric):
    encounters(dana, world.alice, top=25, other=0)
    encounters(eric, world.alice, top=1, other=0)
    html = page(client, eric)
    assert "there is 1 so far" in html
    assert "Dana" not in html and "100 %" not in html


def test_it_shows_qi_leads_figures_per_clinician_and_per_unit(client, world, dana, eric):
    encounters(dana, world.alice, top=10, other=15)
    encounters(eric, world.tom, top=3, other=0)
    html = page(client, world.quinn)
    assert "Dana Berg" in html and "40 %" in html
    assert "Eric Holm" in html and "there are 3 so far" in html
    units = collaborate.by_unit()
    assert [(u.label, u.encounters, u.top_percent) for u in units] == [
        ("Pain team (North Clinic)", 28, 46.4)
    ]
    assert "Pain team (North Clinic)" in html


@pytest.mark.parametrize("who", ["ruth", "adam", "paula"])
def test_it_answers_404_to_roles_without_a_figure(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("visits:collaborate")).status_code == 404


def test_it_answers_404_to_a_patient(client, world):
    client.force_login(world.alice.user)
    assert client.get(reverse("visits:collaborate")).status_code == 404


def test_it_audits_who_looked_at_the_figures(client, world, dana):
    page(client, world.quinn)
    event = AuditEvent.objects.get(event="collaborate.report_viewed")
    assert event.actor == world.quinn and event.patient is None
    assert event.detail == {"scope": "clinicians and units"}


def test_it_never_shows_the_care_team_a_patients_collaborate_answers(client, world, dana):
    appointment = encounter(dana, world.alice, TELLTALE)
    encounters(dana, factories.make_patient(world.team_a), top=25, other=0)
    client.force_login(dana)
    records_page = client.get(reverse("visits:record", args=[appointment.pk])).content.decode()
    dashboard = client.get(
        reverse("visits:dashboard", args=[world.alice.registry_id])
    ).content.decode()
    previsit = client.get(reverse("visits:previsit")).content.decode()
    report = page(client, dana)
    for html in (records_page, dashboard, previsit, report):
        lowered = html.lower()
        assert "collaborate-1" not in lowered
        assert "2.67" not in html  # Alice's mean
        assert "effort was made to help you" not in lowered  # the items' wording
    # No collaboRATE trend on the shared dashboard, for the team or the patient.
    response = client.get(reverse("visits:dashboard", args=[world.alice.registry_id]))
    assert all(t.info.instrument_id != "collaborate" for t in response.context["trends"])
    assert "COLLABORATE" not in dashboard
    # The figure over 26 encounters is the only thing the clinician sees.
    assert "96.2 %" in report
