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


def test_every_shipped_check_in_has_at_most_one_free_text_box():
    from coproduce.checkins.flow import FOLDED_INTO_FREE_TEXT, steps_for
    from coproduce.instruments.library import shipped

    patient_side = [d for d in shipped().values() if d.audience == "patient"]
    assert {"previsit", "taper-weekly", "phq9", "peg"} <= {d.id for d in patient_side}
    for definition in patient_side:
        # Every asked item, whatever the branching: none may be a box of its own.
        boxes = [
            i.link_id
            for page in definition.pages
            for i in page.items
            if i.asked
            and i.type == "text"
            and (definition.id, i.link_id) not in FOLDED_INTO_FREE_TEXT
        ]
        assert boxes == [], definition.id
    # So a check-in of all of them has one: the review page's, for the team.
    everything = Invitation(instruments=[d.id for d in patient_side])
    steps = steps_for(everything)
    asked = [i for s in steps if s.kind == "questions" for i in s.items]
    assert not [i.link_id for i in asked if i.type == "text"]
    assert [s.kind for s in steps].count("review") == 1


def test_the_pre_visit_check_in_asks_how_to_partner_as_a_choice_with_no_box_of_its_own(
    client, alice
):
    inv = on_demand(alice, ["previsit"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    pages = [client.get(f"/c/{token}/{n}/").content.decode() for n in (1, 2)]
    html = "".join(pages)
    assert 'name="previsit-partner"' in html
    assert 'name="previsit-partner-note"' not in html and "<textarea" not in pages[0]


def test_a_paused_taper_is_still_under_way_and_keeps_the_taper_questions(client, world, weekly):
    inv, token = weekly
    plan = oxycodone_plan(world.alice, clinician_for(world.team_a))
    TaperPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.PAUSED)
    client.get(f"/c/{token}/")
    inv.refresh_from_db()
    assert inv.instruments == WEEKLY
    assert "How satisfied are you with how your taper is going?" in (
        client.get(f"/c/{token}/2/").content.decode()
    )


def test_a_stopped_taper_is_not_under_way(client, world, weekly):
    inv, token = weekly
    plan = oxycodone_plan(world.alice, clinician_for(world.team_a))
    TaperPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.STOPPED)
    client.get(f"/c/{token}/")
    inv.refresh_from_db()
    assert inv.instruments == ["peg", "phq9"]


def test_a_check_in_of_only_taper_questions_and_no_taper_is_not_sent_or_offered(client, alice):
    from django.core import mail

    from coproduce.audit.models import AuditEvent
    from coproduce.checkins import outbox
    from coproduce.platform import delivery

    mail.outbox = []
    due = clock.now() - dt.timedelta(minutes=1)
    offered = on_demand(alice, ["taper-weekly"], now=due)
    client.force_login(alice.user)
    home = client.get("/me/").content.decode()
    assert "Start check-in" not in home
    assert client.post(f"/checkins/{offered.pk}/start/").status_code == 404
    # Not sent: the dispatcher cancels it instead (audited), and no message goes out.
    counts = outbox.dispatch_due(clock.now())
    delivery.send_pending()
    offered.refresh_from_db()
    assert counts["sent"] == 0 and counts["cancelled"] == 1 and not mail.outbox
    assert offered.status == "cancelled"
    assert AuditEvent.objects.filter(event="checkin.fitted", object_id=str(offered.pk)).exists()


def test_a_taper_only_link_opened_with_no_taper_says_it_is_no_longer_needed(client, alice):
    inv = on_demand(alice, ["taper-weekly"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    page = client.get(f"/c/{token}/")
    assert page.status_code == 410 and "This check-in is no longer needed" in page.content.decode()
    inv.refresh_from_db()
    assert inv.status == "cancelled"


def test_each_instrument_states_its_own_recall_period():
    from coproduce.instruments.library import get_definition

    periods = {i: get_definition(i).recall_period for i in ("phq9", "gad7", "peg", "flare")}
    assert periods == {
        "phq9": "the last 2 weeks",
        "gad7": "the last 2 weeks",
        "peg": "the past week",
        "flare": "right now",
    }
    assert get_definition("pain-nrs").recall_period == "the past week"  # "In the past 7 days"
    assert get_definition("taper-weekly").recall_period == ""  # keeps the one before it


def test_it_says_the_period_changes_from_a_pain_score_to_the_phq9(client, alice):
    inv = on_demand(alice, ["pain-nrs", "phq9"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    assert "From here on" not in client.get(f"/c/{token}/").content.decode()
    phq9 = client.get(f"/c/{token}/2/").content.decode()
    assert "From here on the questions are about the last 2 weeks, not the past week." in phq9
