"""Goals in the patient's words, clinical targets, action items and progress."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.audit.models import AuditEvent
from coproduce.careplans import goals, services
from coproduce.careplans.models import ActionItem, Goal, GoalKind
from coproduce.platform import clock
from tests import factories
from tests.careplans.helpers import clinician_for, score

D = Decimal


def _url(patient, rest=""):
    return f"/patients/{patient.registry_id}/plan/{rest}"


def test_the_patient_adds_a_goal_in_her_own_words(client, world):
    client.force_login(world.alice.user)
    page = client.get(_url(world.alice, "goals/new/")).content.decode()
    assert "in your own words" in page.lower()
    client.post(_url(world.alice, "goals/new/"), {"text": "Walk my dog every morning"})
    goal = Goal.objects.get()
    assert (goal.kind, goal.set_by, goal.instrument_id) == ("patient", world.alice.user, "")
    assert "Walk my dog every morning" in client.get(_url(world.alice)).content.decode()
    assert AuditEvent.objects.filter(event="careplans.goal.saved", actor=world.alice.user).exists()


def test_the_patient_edits_her_goal_and_marks_it_achieved(client, world):
    goal = goals.add_goal(world.alice, by=world.alice.user, kind="patient", text="Walk")
    client.force_login(world.alice.user)
    client.post(
        _url(world.alice, f"goals/{goal.pk}/edit/"),
        {"text": "Walk the dog to the park", "status": "achieved"},
    )
    goal.refresh_from_db()
    assert (goal.text, goal.status) == ("Walk the dog to the park", "achieved")


def test_a_parent_writes_a_goal_for_her_child(client, world):
    client.force_login(world.paula)
    client.post(_url(world.tom, "goals/new/"), {"text": "Play football on Saturdays"})
    goal = Goal.objects.get(patient=world.tom)
    assert goal.kind == GoalKind.PATIENT
    event = AuditEvent.objects.get(event="careplans.goal.saved")
    assert event.acting_for == world.tom


def test_the_team_sets_a_clinical_target_linked_to_a_measure(client, world):
    client.force_login(world.nina)
    client.post(
        _url(world.alice, "goals/new/"),
        {
            "text": "DAS28 remission",
            "instrument_id": "das28-esr",
            "comparator": "<",
            "target_value": "2.6",
        },
    )
    goal = Goal.objects.get()
    assert (goal.kind, goal.target_label) == ("clinical", "DAS28-ESR < 2.6")


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"text": ""}, "This field is required"),
        ({"text": "PEG", "instrument_id": "peg"}, "Choose at most, below"),
        ({"text": "PEG", "comparator": "<=", "target_value": "4"}, "Choose the score"),
        ({"text": "PEG", "instrument_id": "bmi", "comparator": "<=", "target_value": "4"}, "valid"),
        ({"text": "PEG", "instrument_id": "peg", "comparator": "<="}, "Give the target"),
        ({"text": "PEG", "instrument_id": "peg", "comparator": "<=", "target_value": "-1"}, "0"),
    ],
)
def test_half_a_target_or_bad_input_is_refused_and_nothing_stored(client, world, form, words):
    client.force_login(world.nina)
    response = client.post(_url(world.alice, "goals/new/"), form)
    assert response.status_code == 200 and words in response.content.decode()
    assert not Goal.objects.exists()


def test_patients_write_goals_and_the_team_writes_targets_not_each_others(world):
    mine = goals.add_goal(world.alice, by=world.alice.user, kind="patient", text="Dance")
    target = goals.add_goal(
        world.alice,
        by=world.nina,
        kind="clinical",
        text="PEG",
        instrument_id="peg",
        comparator="<=",
        target_value=4,
    )
    with pytest.raises(PermissionDenied):
        goals.update_goal(target, by=world.alice.user, text="nothing", status="active")
    with pytest.raises(PermissionDenied):
        goals.update_goal(mine, by=world.nina, text="Dance a little", status="active")
    with pytest.raises(PermissionDenied):
        goals.add_goal(world.alice, by=world.carl, kind="clinical", text="x")
    with pytest.raises(ValidationError):
        goals.update_goal(mine, by=world.alice.user, text="Dance", status="done")


def test_goal_and_action_pages_answer_404_to_outsiders(client, world):
    mine = goals.add_goal(world.alice, by=world.alice.user, kind="patient", text="Dance")
    target = goals.add_goal(world.alice, by=world.nina, kind="clinical", text="Remission")
    item = goals.add_action(world.alice, by=world.nina, who="team", what="Book the course")
    other_patient = factories.make_patient(world.team_a, login=True).user
    for user in (world.carl, world.ruth, world.paula, other_patient, world.cora):
        client.force_login(user)
        for rest in ("goals/new/", f"goals/{mine.pk}/edit/", "actions/new/"):
            assert client.get(_url(world.alice, rest)).status_code == 404, (user.role, rest)
        done = client.post(_url(world.alice, f"actions/{item.pk}/done/"))
        assert done.status_code == 404, user.role
    client.force_login(world.alice.user)
    assert client.get(_url(world.alice, f"goals/{target.pk}/edit/")).status_code == 404
    client.force_login(world.nina)
    assert client.get(_url(world.alice, f"goals/{mine.pk}/edit/")).status_code == 404
    assert client.get(_url(world.tom, f"goals/{target.pk}/edit/")).status_code == 404
    item.refresh_from_db()
    assert item.done_at is None


def test_anyone_in_the_plan_adds_actions_and_marks_them_done(client, world):
    client.force_login(world.alice.user)
    missing = client.post(_url(world.alice, "actions/new/"), {"who": "patient", "what": ""})
    assert "This field is required" in missing.content.decode()
    client.post(
        _url(world.alice, "actions/new/"),
        {"who": "patient", "what": "Walk 10 minutes after breakfast", "due_on": "2030-05-01"},
    )
    item = ActionItem.objects.get()
    assert (item.who, item.due_on, item.created_by) == (
        "patient",
        dt.date(2030, 5, 1),
        world.alice.user,
    )
    client.force_login(world.nina)
    page = client.get(_url(world.alice)).content.decode()
    assert "Walk 10 minutes after breakfast" in page and "Mark done" in page
    client.post(_url(world.alice, f"actions/{item.pk}/done/"), {"done": "1"})
    item.refresh_from_db()
    assert item.done_at is not None
    assert client.get(_url(world.alice, f"actions/{item.pk}/done/")).status_code == 405
    client.post(_url(world.alice, f"actions/{item.pk}/done/"), {"done": "0"})
    item.refresh_from_db()
    assert item.done_at is None
    events = AuditEvent.objects.filter(event="careplans.action.done").values_list(
        "actor", flat=True
    )
    assert list(events) == [world.nina.pk, world.nina.pk]


def test_progress_shows_the_latest_score_against_the_target(client, world):
    peg = goals.add_goal(
        world.alice,
        by=world.nina,
        kind="clinical",
        text="PEG at most 4",
        instrument_id="peg",
        comparator="<=",
        target_value=4,
    )
    das = goals.add_goal(
        world.alice,
        by=world.nina,
        kind="clinical",
        text="Remission",
        instrument_id="das28-esr",
        comparator="<",
        target_value=D("2.6"),
    )
    walk = goals.add_goal(world.alice, by=world.alice.user, kind="patient", text="Walk the dog")
    today = clock.today()
    score(world.alice, "peg", 3.0, on=today - dt.timedelta(days=20))
    score(world.alice, "peg", 5.33, on=today - dt.timedelta(days=2))
    score(world.alice, "das28-esr", 2.4, on=today - dt.timedelta(days=9))
    scores = goals.latest_scores(world.alice, ["peg", "das28-esr"])
    assert goals.progress(peg, scores).met is False
    assert goals.progress(peg, scores).score == D("5.33")
    assert goals.progress(das, scores).met is True
    assert goals.progress(walk, scores) is None
    client.force_login(world.alice.user)
    page = client.get(_url(world.alice)).content.decode()
    assert "Latest 5.33" in page and "not at target yet" in page and "target met" in page


def test_a_measured_goal_without_scores_says_so(client, world):
    goals.add_goal(
        world.alice,
        by=world.alice.user,
        kind="patient",
        text="Walk to the shop",
        instrument_id="pain-nrs",
        comparator="<=",
        target_value=5,
    )
    client.force_login(world.alice.user)
    assert "No score yet" in client.get(_url(world.alice)).content.decode()


def test_the_care_plan_page_query_count_does_not_grow(client, world, django_assert_num_queries):
    """Pinned: a care plan with a taper, medicines, goals with scores and actions."""
    doc = clinician_for(world.team_a)
    from tests.careplans.helpers import oxycodone_plan

    plan = oxycodone_plan(world.alice, doc, start_on=clock.today() - dt.timedelta(days=10))
    services.request_change(plan, "pause", "Busy", world.alice.user)

    def grow(n):
        for i in range(n):
            services.record_medication(
                world.alice,
                drug="paracetamol",
                strength=500,
                per_day=2,
                is_opioid=False,
                started_on=clock.today() - dt.timedelta(days=5),
                by=doc,
            )
            goals.add_goal(world.alice, by=world.alice.user, kind="patient", text=f"Goal {i}")
            goals.add_goal(
                world.alice,
                by=world.nina,
                kind="clinical",
                text=f"PEG {i}",
                instrument_id=("peg", "phq9")[i % 2],
                comparator="<=",
                target_value=4,
            )
            goals.add_action(world.alice, by=world.nina, who="team", what=f"Call {i}")
            score(world.alice, "peg", 4, on=clock.today() - dt.timedelta(days=i + 1))

    client.force_login(world.nina)
    grow(1)
    with django_assert_num_queries(QUERIES):
        assert client.get(_url(world.alice)).status_code == 200
    grow(5)
    with django_assert_num_queries(QUERIES):
        assert client.get(_url(world.alice)).status_code == 200


QUERIES = 19  # with the staff pages' "notifications delayed?" query and the banner of urgent
# alerts that reached nobody
