"""The care team's alert queue: access, order, actions, audit and query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import CheckinResponse
from coproduce.platform import clock
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import Alert, AlertStatus, Snooze
from tests import factories
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_alerts(world, n=1):
    enroll(world.alice)
    alerts = []
    for i in range(n):
        response, scores = checkin(world.alice, T0 + weeks(i), scores={"peg": 2}, free_text="hi")
        alerts += evaluate_and_record(response, scores, now=T0 + weeks(i)).alerts
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(status=AlertStatus.RESOLVED)
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(status=AlertStatus.OPEN)
    return alerts


def test_it_lists_urgent_alerts_first_then_oldest(staffed):
    routine = make_alerts(staffed)[0]
    response, scores = checkin(staffed.alice, T0 + weeks(2), items={"phq9": {"phq9-9": 1}})
    urgent = evaluate_and_record(response, scores).alerts[0]
    page = client_for(staffed.nina).get("/alerts/")
    assert page.status_code == 200
    assert [item.lead.pk for item in page.context["items"]] == [urgent.pk, routine.pk]
    listed = AuditEvent.objects.get(event="alert.listed", actor=staffed.nina)
    assert listed.detail["registry_ids"] == [staffed.alice.registry_id]


def test_it_shows_another_teams_alerts_as_not_found(staffed):
    alert = make_alerts(staffed)[0]
    carl = client_for(staffed.carl)
    assert list(carl.get("/alerts/").context["items"]) == []
    assert carl.get(f"/alerts/{alert.pk}/").status_code == 404
    assert carl.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


@pytest.mark.parametrize("who", ["ruth", "quinn", "adam", "paula"])
def test_non_care_roles_cannot_open_the_queue(staffed, who):
    assert client_for(getattr(staffed, who)).get("/alerts/").status_code == 404


def test_opening_an_alert_is_audited_and_shows_the_trend(staffed):
    alert = make_alerts(staffed, 3)[-1]
    page = client_for(staffed.nina).get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200
    assert [s.score for s in page.context["trends"]["peg"]] == [2, 2, 2]
    assert AuditEvent.objects.filter(
        event="alert.viewed", actor=staffed.nina, patient=staffed.alice
    ).exists()


def test_acknowledge_and_resolve_are_audited(staffed):
    alert = make_alerts(staffed)[0]
    nina = client_for(staffed.nina)
    assert nina.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302
    response = nina.post(
        f"/alerts/{alert.pk}/resolve/", {"note": "Called her.", "action_taken": "yes"}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.action_taken, alert.assigned_to) == ("resolved", True, staffed.nina)
    events = AuditEvent.objects.filter(actor=staffed.nina, object_id=str(alert.pk))
    assert {"alert.acknowledged", "alert.resolved"} <= set(events.values_list("event", flat=True))


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("resolve", {"note": "", "action_taken": "yes"}, "Write a short note"),
        ("resolve", {"note": "x"}, "whether any action"),
        ("snooze", {"days": "45"}, "1 to 30 days"),
        ("reassign", {"to": "999999"}, "member of this patient"),
    ],
)
def test_bad_input_changes_nothing_and_says_why(staffed, path, data, message):
    alert = make_alerts(staffed)[0]
    response = client_for(staffed.nina).post(f"/alerts/{alert.pk}/{path}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.assigned_to is None
    assert not Snooze.objects.exists()


def test_a_snooze_is_visible_to_the_team(staffed):
    alert = make_alerts(staffed)[0]
    client_for(staffed.nina).post(
        f"/alerts/{alert.pk}/snooze/", {"days": "14", "reason": "Dose step"}
    )
    page = client_for(staffed.cora).get(f"/alerts/{alert.pk}/")
    assert "Dose step" in page.content.decode()


def test_reassign_only_to_a_member_of_the_team(staffed):
    alert = make_alerts(staffed)[0]
    nina = client_for(staffed.nina)
    assert nina.post(f"/alerts/{alert.pk}/reassign/", {"to": staffed.carl.pk}).status_code == 400
    assert nina.post(f"/alerts/{alert.pk}/reassign/", {"to": staffed.cora.pk}).status_code == 302
    alert.refresh_from_db()
    assert alert.assigned_to == staffed.cora
    assert AuditEvent.objects.filter(event="alert.reassigned", actor=staffed.nina).exists()


def test_actions_need_post_and_a_csrf_token(staffed):
    alert = make_alerts(staffed)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(staffed.nina)
    assert client.get(f"/alerts/{alert.pk}/acknowledge/").status_code == 405
    assert client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


@pytest.mark.parametrize("n", [1, 8])
def test_the_queue_query_count_does_not_grow_with_alerts(staffed, django_assert_num_queries, n):
    make_alerts(staffed, n)
    other = factories.make_patient(staffed.team_a)
    enroll(other)
    response, scores = checkin(other, free_text="x")
    evaluate_and_record(response, scores)
    nina = client_for(staffed.nina)
    nina.get("/alerts/")  # warm the session
    # session, user, teams, the queue's columns of every open alert, the alerts of the page
    # shown, audit insert, burden check-ins, burden alerts, the banner of urgent alerts that
    # reached nobody, "notifications delayed?", and the session's activity stamp (savepoint,
    # update, release)
    with django_assert_num_queries(13):
        assert len(nina.get("/alerts/").context["items"]) == n + 1


def test_the_queue_shows_alert_burden(staffed):
    alert = make_alerts(staffed, 4)[0]
    recent = clock.now() - dt.timedelta(days=1)
    Alert.objects.update(created_at=recent, ack_due_at=recent + dt.timedelta(days=3))
    CheckinResponse.objects.update(submitted_at=recent)
    nina = client_for(staffed.nina)
    nina.post(f"/alerts/{alert.pk}/resolve/", {"note": "ok", "action_taken": "yes"})
    [burden] = nina.get("/alerts/").context["burden"]
    assert burden["team"] == staffed.team_a
    assert burden["alerts"] == 4 and burden["checkins"] == 4 and burden["per_100"] == 100.0
    assert burden["with_action"] == 100.0
