"""Questions that fit the patient, and a link that opens on the first question."""

import datetime as dt

import pytest

from coproduce.careplans.models import PlanStatus, TaperPlan
from coproduce.checkins.models import Invitation
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock
from tests.careplans.helpers import clinician_for, oxycodone_plan

WEEKLY = ["peg", "taper-weekly", "phq9"]


@pytest.fixture
def weekly(alice):
    inv = on_demand(alice, WEEKLY, now=clock.now() - dt.timedelta(minutes=1))
    return inv, issue_token(inv, purpose="invitation")


def test_it_asks_the_taper_questions_only_while_a_taper_is_under_way(client, world, weekly):
    inv, token = weekly
    html = client.get(f"/c/{token}/").content.decode()
    inv.refresh_from_db()
    assert inv.instruments == ["peg", "phq9"]
    assert "taper" not in html.lower().replace("taper-", "")  # no "your taper" question


def test_it_keeps_them_when_the_patient_has_a_taper(client, world, weekly):
    inv, token = weekly
    oxycodone_plan(world.alice, clinician_for(world.team_a))
    assert TaperPlan.objects.get().status == PlanStatus.ACTIVE
    client.get(f"/c/{token}/")
    inv.refresh_from_db()
    assert inv.instruments == WEEKLY
    steps = client.get(f"/c/{token}/2/").content.decode()
    assert "How satisfied are you with how your taper is going?" in steps
    # One free-text box per check-in: the taper's own note is not asked.
    assert 'name="taper-note"' not in steps


def test_it_says_where_the_recall_period_changes(client, world, weekly):
    _, token = weekly
    oxycodone_plan(world.alice, clinician_for(world.team_a))
    client.get(f"/c/{token}/")
    phq9 = client.get(f"/c/{token}/3/").content.decode()
    assert "From here on the questions are about the last 2 weeks, not the past week." in phq9
    assert "From here on" not in client.get(f"/c/{token}/2/").content.decode()


def test_the_link_opens_on_the_first_question_with_its_styles_inside(client, weekly):
    _, token = weekly
    html = client.get(f"/c/{token}/").content.decode()
    assert "Hello, Alice" in html and "short pages" in html
    assert 'name="peg-1"' in html  # answerable at once
    assert f'action="/c/{token}/1/"' in html
    assert 'rel="stylesheet"' not in html and "<style nonce=" in html


def test_an_invitation_opened_late_keeps_the_answers_it_has(client, world, weekly):
    inv, token = weekly
    Invitation.objects.filter(pk=inv.pk).update(draft={"answers": {"peg": {"peg-1": 4}}})
    html = client.get(f"/c/{token}/").content.decode()
    assert "Carry on" in html and 'name="peg-1"' not in html
