"""The queue shows one item per check-in; filters, counts, bulk acknowledge, group actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from coproduce.audit.models import AuditEvent
from coproduce.people.models import CareTeamMembership
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import Alert, AlertStatus, Snooze
from tests import factories
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")
NOW = T0 + dt.timedelta(hours=2)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bad_checkin(patient, at=T0):
    """Thoughts of self-harm, pain well up and free text: three alerts from one check-in."""
    checkin(patient, at - weeks(4), scores={"peg": 2})  # the baseline
    response, scores = checkin(
        patient,
        at,
        scores={"peg": 8, "phq9": 14},
        items={"phq9": {"phq9-9": 1}},
        flags={"phq9": ["phq9_item9_positive"]},
        free_text="Very hard week",
    )
    return evaluate_and_record(response, scores, now=at).alerts


def routine_checkin(patient, at=T0):
    response, scores = checkin(patient, at, scores={"peg": 2}, free_text="A note")
    return evaluate_and_record(response, scores, now=at).alerts


def new_patient(world, **names):
    patient = factories.make_patient(world.team_a, **names)
    enroll(patient)
    return patient


def queue(client, query="", **params):
    with clock.frozen(NOW):
        page = client.get(f"/alerts/{query}", params)
    assert page.status_code == 200
    return page


@pytest.fixture
def two_patients(staffed):
    enroll(staffed.alice)
    staffed.bert = factories.make_patient(staffed.team_a, given_name="Bert", family_name="Berg")
    enroll(staffed.bert)
    return staffed


def test_one_checkin_is_one_item_with_every_reason_most_urgent_first(two_patients):
    w = two_patients
    alerts = bad_checkin(w.alice)
    assert len(alerts) == 3
    page = queue(client_for(w.nina))
    [item] = page.context["items"]
    assert [a.priority for a in item.alerts] == sorted(a.priority for a in alerts)
    assert item.priority == Priority.URGENT
    html = page.content.decode()
    for alert in alerts:
        assert alert.reason in html
    assert html.count(f'href="/alerts/{item.lead.pk}/"') == 1


def test_acknowledging_the_item_acknowledges_every_alert_each_with_its_audit_row(two_patients):
    w = two_patients
    alerts = bad_checkin(w.alice)
    routine_checkin(w.bert)  # another check-in: untouched
    lead = min(alerts, key=lambda a: a.priority)
    assert client_for(w.nina).post(f"/alerts/{lead.pk}/acknowledge/").status_code == 302
    statuses = dict(Alert.objects.values_list("pk", "status"))
    assert {statuses[a.pk] for a in alerts} == {AlertStatus.ACKNOWLEDGED}
    assert Alert.objects.filter(patient=w.bert, status=AlertStatus.OPEN).count() == 1
    acked = AuditEvent.objects.filter(event="alert.acknowledged", actor=w.nina)
    assert sorted(acked.values_list("object_id", flat=True)) == sorted(str(a.pk) for a in alerts)


def test_resolving_and_reassigning_the_item_act_on_every_alert(two_patients):
    w = two_patients
    alerts = bad_checkin(w.alice)
    nina = client_for(w.nina)
    assert nina.post(f"/alerts/{alerts[1].pk}/reassign/", {"to": w.cora.pk}).status_code == 302
    assert set(Alert.objects.values_list("assigned_to", flat=True)) == {w.cora.pk}
    assert AuditEvent.objects.filter(event="alert.reassigned").count() == 3
    data = {"note": "Called her; safety plan agreed.", "action_taken": "yes"}
    assert nina.post(f"/alerts/{alerts[2].pk}/resolve/", data).status_code == 302
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.RESOLVED}
    assert AuditEvent.objects.filter(event="alert.resolved").count() == 3


def test_snoozing_the_item_snoozes_its_rules_but_never_the_crisis_rule(two_patients):
    w = two_patients
    alerts = bad_checkin(w.alice)
    lead = min(alerts, key=lambda a: a.priority)
    client_for(w.nina).post(f"/alerts/{lead.pk}/snooze/", {"days": "7"})
    crisis = {a.rule_id for a in alerts if a.data.get("crisis")}
    assert crisis and set(Snooze.objects.values_list("rule_id", flat=True)) == (
        {a.rule_id for a in alerts} - crisis
    )


def test_an_item_says_when_its_alerts_are_assigned_to_different_people(two_patients):
    w = two_patients
    alerts = bad_checkin(w.alice)
    Alert.objects.filter(pk=alerts[0].pk).update(assigned_to=w.cora)
    Alert.objects.filter(pk=alerts[1].pk).update(assigned_to=w.nina)
    page = queue(client_for(w.nina))
    [item] = page.context["items"]
    assert item.split
    html = page.content.decode()
    assert "Different people:" in html
    assert w.cora.get_full_name() in html and w.nina.get_full_name() in html
    Alert.objects.update(assigned_to=w.nina)
    assert "Different people:" not in queue(client_for(w.nina)).content.decode()


def three_items_on_two_teams(w):
    """Nina on both teams: Alice's urgent check-in and Bert's old routine one on team A,
    Carol's routine one on team B; returns (Bert's alerts, Carol)."""
    CareTeamMembership.objects.create(user=w.nina, care_team=w.team_b)
    bad_checkin(w.alice)
    old = routine_checkin(w.bert, T0 - dt.timedelta(days=10))
    carol = factories.make_patient(w.team_b, given_name="Carol")
    enroll(carol)
    routine_checkin(carol, T0 + dt.timedelta(minutes=1))
    return old, carol


def test_filters_by_priority_team_age_patient_and_assigned_to_me(two_patients):
    w = two_patients
    old, carol = three_items_on_two_teams(w)
    nina = client_for(w.nina)

    def shown(**params):
        return [item.patient.pk for item in queue(nina, **params).context["items"]]

    assert shown() == [w.alice.pk, w.bert.pk, carol.pk]
    assert shown(priority=Priority.URGENT) == [w.alice.pk]
    assert shown(priority=Priority.ROUTINE) == [w.bert.pk, carol.pk]
    assert shown(team=w.team_b.pk) == [carol.pk]
    assert shown(team=w.team_a.pk, priority=Priority.ROUTINE) == [w.bert.pk]
    assert shown(age="older") == [w.bert.pk]
    assert shown(age="day") == [w.alice.pk, carol.pk]
    assert shown(patient="berg") == [w.bert.pk]
    assert shown(patient=w.alice.registry_id.lower()) == [w.alice.pk]
    assert shown(mine="1") == []
    Alert.objects.filter(pk=old[0].pk).update(assigned_to=w.nina)
    assert shown(mine="1") == [w.bert.pk]
    assert shown(priority="nonsense", age="never", team="99999") == shown()  # ignored


def test_each_filter_choice_shows_how_many_items_it_would_show(two_patients):
    w = two_patients
    bad_checkin(w.alice)
    routine_checkin(w.bert, T0 - dt.timedelta(days=10))
    routine_checkin(new_patient(w), T0 - dt.timedelta(hours=5))
    page = queue(client_for(w.nina))
    assert {v: n for v, _, n in page.context["priorities"]} == {1: 1, 2: 0, 3: 2}
    assert {k: n for k, _, n in page.context["ages"]} == {
        "hour": 0,
        "day": 2,
        "week": 0,
        "older": 1,
    }
    html = page.content.decode()
    assert "Routine (2)" in html and "Urgent (1)" in html
    # Counted with the other filters in use: routine items among those over a week old.
    narrowed = queue(client_for(w.nina), age="older")
    assert {v: n for v, _, n in narrowed.context["priorities"]} == {1: 0, 2: 0, 3: 1}


def test_the_team_and_assigned_to_me_choices_show_their_counts_too(two_patients):
    w = two_patients
    old, _carol = three_items_on_two_teams(w)
    Alert.objects.filter(pk=old[0].pk).update(assigned_to=w.nina)
    nina = client_for(w.nina)
    page = queue(nina)
    assert {t.pk: n for t, n in page.context["team_choices"]} == {w.team_a.pk: 2, w.team_b.pk: 1}
    assert page.context["mine_count"] == 1
    assert "Assigned to me (1)" in page.content.decode()
    # Counted with the other filters in use: urgent items per team; mine among team B's.
    urgent = queue(nina, priority=Priority.URGENT)
    assert {t.pk: n for t, n in urgent.context["team_choices"]} == {w.team_a.pk: 1, w.team_b.pk: 0}
    assert urgent.context["mine_count"] == 0
    assert queue(nina, team=w.team_b.pk).context["mine_count"] == 0
    assert queue(nina, team=w.team_a.pk).context["mine_count"] == 1


def test_bulk_acknowledge_acknowledges_the_chosen_items(two_patients):
    w = two_patients
    first = routine_checkin(w.alice)
    second = routine_checkin(w.bert)
    third = routine_checkin(new_patient(w), T0 + dt.timedelta(minutes=5))
    nina = client_for(w.nina)
    done = nina.post(
        "/alerts/acknowledge/", {"alert": [first[0].pk, second[0].pk], "query": "priority=3"}
    )
    assert done.status_code == 302 and done["Location"] == "/alerts/?priority=3"
    statuses = dict(Alert.objects.values_list("pk", "status"))
    assert statuses[first[0].pk] == statuses[second[0].pk] == AlertStatus.ACKNOWLEDGED
    assert statuses[third[0].pk] == AlertStatus.OPEN
    assert AuditEvent.objects.filter(event="alert.acknowledged").count() == 2


def test_bulk_acknowledge_refuses_urgent_alerts_and_changes_nothing(two_patients):
    w = two_patients
    urgent = bad_checkin(w.alice)
    routine = routine_checkin(w.bert)
    nina = client_for(w.nina)
    # The urgent item has no checkbox; a hand-made request naming it is refused.
    page = queue(nina)
    assert f'name="alert" value="{routine[0].pk}"' in page.content.decode()
    assert f'name="alert" value="{min(urgent, key=lambda a: a.priority).pk}"' not in (
        page.content.decode()
    )
    lesser = max(urgent, key=lambda a: a.priority)  # a routine alert of the urgent check-in
    for chosen in ([urgent[0].pk, routine[0].pk], [lesser.pk, routine[0].pk]):
        refused = nina.post("/alerts/acknowledge/", {"alert": chosen})
        assert refused.status_code == 400
        assert "Urgent alerts are never acknowledged in bulk" in refused.content.decode()
        assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.OPEN}
        assert not AuditEvent.objects.filter(event="alert.acknowledged").exists()


def test_bulk_acknowledge_of_nothing_or_of_another_teams_alerts_changes_nothing(two_patients):
    w = two_patients
    mine = routine_checkin(w.alice)
    carl = client_for(w.carl)
    assert carl.post("/alerts/acknowledge/", {"alert": [mine[0].pk]}).status_code == 400
    assert client_for(w.nina).post("/alerts/acknowledge/", {}).status_code == 400
    assert client_for(w.nina).post("/alerts/acknowledge/", {"alert": "x"}).status_code == 400
    assert Alert.objects.get().status == AlertStatus.OPEN


def test_the_queue_shows_fifty_items_a_page(two_patients):
    w = two_patients
    for n in range(55):
        routine_checkin(new_patient(w), T0 - dt.timedelta(minutes=n))
    nina = client_for(w.nina)
    first = queue(nina)
    assert len(first.context["items"]) == 50 and first.context["page"].paginator.count == 55
    assert "page=2" in first.content.decode()
    assert len(queue(nina, page="2").context["items"]) == 5


@pytest.mark.parametrize("n", [1, 30])
def test_the_queue_query_count_stays_the_same_with_grouped_and_filtered_items(
    two_patients, django_assert_num_queries, n
):
    w = two_patients
    for i in range(n):
        bad_checkin(new_patient(w), T0 - dt.timedelta(hours=i))
        routine_checkin(new_patient(w, family_name="Bloggs"), T0 - dt.timedelta(hours=i))
    nina = client_for(w.nina)
    queue(nina)  # warm the session
    # As tests/safetynet/test_alert_queue.py counts: the filters and counts add none.
    with clock.frozen(NOW), django_assert_num_queries(13):
        page = nina.get("/alerts/", {"priority": "3", "mine": "", "patient": "b"})
    assert len(page.context["items"]) == n
