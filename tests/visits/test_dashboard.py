import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from coproduce.audit.models import AuditEvent
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.models import Alert
from coproduce.visits.models import Appointment
from tests import factories
from tests.visits.helpers import previsit, weekly_scores

pytestmark = pytest.mark.django_db


def url(patient, **query):
    base = reverse("visits:dashboard", args=[patient.registry_id])
    return base + ("?mode=visit" if query.get("visit") else "")


def visit(patient, days_ago: int) -> Appointment:
    return Appointment.objects.create(
        patient=patient,
        care_team=patient.care_team,
        starts_at=clock.now() - dt.timedelta(days=days_ago),
        status="attended",
    )


def test_it_shows_the_patient_their_own_dashboard(client, world):
    client.force_login(world.alice.user)
    response = client.get(url(world.alice))
    assert response.status_code == 200
    assert b"Number one concern or goal" in response.content


def test_it_lets_a_parent_see_their_childs_dashboard(client, world):
    client.force_login(world.paula)
    assert client.get(url(world.tom)).status_code == 200
    assert client.get(url(world.alice)).status_code == 404


def test_it_lets_the_care_team_see_the_dashboard(client, world):
    client.force_login(world.nina)
    assert client.get(url(world.alice)).status_code == 200


@pytest.mark.parametrize("who", ["carl", "ruth", "quinn", "adam"])
def test_it_answers_404_to_other_teams_and_non_care_roles(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(url(world.alice)).status_code == 404


def test_it_answers_404_to_another_patient(client, world):
    other = factories.make_patient(world.team_a, login=True)
    client.force_login(other.user)
    assert client.get(url(world.alice)).status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(client, world):
    response = client.get(url(world.alice))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_audits_the_read(client, world):
    client.force_login(world.paula)
    client.get(url(world.tom, visit=True))
    event = AuditEvent.objects.get(event="patient.viewed", patient=world.tom)
    assert event.actor == world.paula
    assert event.acting_for == world.tom
    assert event.detail == {"page": "dashboard", "mode": "visit"}


def test_it_shows_the_number_one_concern_and_partnering_in_their_words(client, world):
    previsit(
        world.alice,
        {
            "previsit-concern": "Sleeping through the night again",
            "previsit-topics": ["pain", "sleep"],
            "previsit-partner": "together",
            "previsit-partner-note": "Please explain the options first",
        },
    )
    client.force_login(world.nina)
    html = client.get(url(world.alice)).content.decode()
    assert "“Sleeping through the night again”" in html
    assert "I like us to decide together" in html
    assert "Please explain the options first" in html
    assert "My pain; Sleep or tiredness" in strip_tags(html)


def test_it_says_no_current_concern_when_that_was_the_answer(client, world):
    previsit(world.alice, {"previsit-concern": "no-concern"})
    client.force_login(world.alice.user)
    html = client.get(url(world.alice)).content.decode()
    assert "No current concern." in html


def test_it_falls_back_gracefully_without_a_previsit_check_in(client, world):
    client.force_login(world.alice.user)
    html = client.get(url(world.alice)).content.decode()
    assert "No pre-visit check-in yet" in html
    assert "No scores yet" in html
    assert "No medications recorded." in html


def test_it_draws_a_chart_with_bands_visits_and_a_table(client, world):
    visit(world.alice, 21)
    weekly_scores(world.alice, {"phq9": [6, 8, 9, 11, 12, 14]})
    client.force_login(world.nina)
    html = client.get(url(world.alice)).content.decode()
    assert '<svg class="trend"' in html and 'role="img"' in html
    assert "over time</title>" in html and "<desc " in html
    assert 'class="visit"' in html  # the visit three weeks ago is marked
    assert "Moderate" in html  # a band label drawn in the chart
    assert "Show PHQ-9 as a table" in html
    assert '<td class="num">14</td>' in html


def test_it_marks_a_change_beyond_the_mcid_since_the_last_visit(client, world):
    visit(world.alice, 10)  # the scores fed forward to it are those of two weeks ago
    # PHQ-9 5 -> 11 (6 points: important); GAD-7 5 -> 8 (3 points: not important).
    weekly_scores(world.alice, {"phq9": [4, 5, 9, 11], "gad7": [5, 5, 6, 8]})
    client.force_login(world.alice.user)
    html = client.get(url(world.alice)).content.decode()
    assert html.count("▲ Worse since the last visit") == 1
    assert "5 → 11" in html
    assert "No important change since the last visit (5 → 8)" in html


def test_it_marks_a_30_percent_peg_improvement_as_better(client, world):
    visit(world.alice, 10)
    weekly_scores(world.alice, {"peg": [8, 8, 6, 5]})
    client.force_login(world.alice.user)
    html = client.get(url(world.alice)).content.decode()
    assert "▼ Better since the last visit" in html


def test_it_shows_latest_answers_with_words_not_only_colour(client, world):
    weekly_scores(world.alice, {"phq9": [7]})
    client.force_login(world.nina)
    html = client.get(url(world.alice)).content.decode()
    assert "Little interest or pleasure in doing things" in html
    assert "Nearly every day" in html
    assert '<span class="sev sev-3">Severe</span>' in html
    assert '<span class="sev sev-0">None or minimal</span>' in html
    # The patient reads her own answers in words, without a bare "Severe" beside them,
    # and what a band means.
    client.force_login(world.alice.user)
    html = client.get(url(world.alice)).content.decode()
    assert "Nearly every day" in html and '<span class="sev sev-3">Severe</span>' not in html
    assert "It describes these answers, not you" in html


def test_it_shows_open_alert_counts_without_their_reasons(client, world):
    for priority in (Priority.URGENT, Priority.ROUTINE, Priority.ROUTINE):
        Alert.objects.create(
            patient=world.alice,
            care_team=world.team_a,
            rule_id="r",
            priority=priority,
            reason="SECRET-REASON",
        )
    Alert.objects.create(
        patient=world.alice, care_team=world.team_a, rule_id="r", priority=1, status="resolved"
    )
    client.force_login(world.nina)
    html = client.get(url(world.alice)).content.decode()
    assert "<strong>3</strong> open alerts" in html
    assert "1 urgent" in html and "2 routine" in html
    assert "SECRET-REASON" not in html
    # The patient is told what the team is doing, in words, not the queue's counts.
    client.force_login(world.alice.user)
    html = client.get(url(world.alice)).content.decode()
    assert "open alerts" not in html and "2 routine" not in html
    assert "What your care team is doing" in html and "will call you soon" in html
    assert "SECRET-REASON" not in html


def test_it_has_a_visit_mode_with_large_type(client, world):
    weekly_scores(world.alice, {"phq9": [7, 9]})
    client.force_login(world.nina)
    html = client.get(url(world.alice, visit=True)).content.decode()
    assert "visit-mode" in html
    assert "What matters most today" in html
    assert "Show all the details" in html


def _count_queries(client, patient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(patient))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_needs_the_same_number_of_queries_for_ten_weeks_or_ten_years(client, world):
    short = factories.make_patient(world.team_a)
    long = factories.make_patient(world.team_a)
    for patient, weeks in ((short, 10), (long, 520)):
        weekly_scores(
            patient,
            {"phq9": [w % 27 for w in range(weeks)], "peg": [w % 10 for w in range(weeks)]},
        )
        previsit(patient, {"previsit-concern": "x"})
        for days in (30, 400):
            visit(patient, days)
    client.force_login(world.nina)
    _count_queries(client, short)  # warm caches (instrument library, sessions)
    # session, user, patient, audit insert, appointments, medications, the taper's
    # medications and latest plan, goals, scores, latest items, previsit, alerts, open
    # request, shared visit records, the banner of urgent alerts that reached nobody,
    # "notifications delayed?"; then the staff session's activity stamp (savepoint,
    # update, release).
    assert _count_queries(client, short) == 20
    assert _count_queries(client, long) == 20


def test_it_downsamples_ten_years_to_weekly_and_monthly_points(client, world):
    weekly_scores(world.alice, {"phq9": [w % 20 for w in range(520)]})
    client.force_login(world.nina)
    response = client.get(url(world.alice))
    trend = response.context["trends"][0]
    assert 180 < len(trend.points) < 220  # ~104 weeks + ~96 months
    assert {p.kind for p in trend.points} >= {"each", "monthly median"}


def test_it_draws_the_latest_score_as_itself_never_pooled_into_its_weeks_median(client, world):
    # Issue 11.7: PEG 3.0 earlier in the week and 8.3 now were drawn as "latest 5.7, median".
    with clock.frozen(dt.datetime(2027, 3, 4, 15, 0, tzinfo=dt.UTC)):  # a Thursday
        now = clock.now()
        weekly_scores(world.alice, {"peg": [4.0, 5.0, 3.0]}, end=now - dt.timedelta(days=2))
        weekly_scores(world.alice, {"peg": [8.3]}, end=now - dt.timedelta(hours=1))
        client.force_login(world.nina)
        trend = client.get(url(world.alice)).context["trends"][0]
    assert trend.latest_value == 8.3
    assert trend.points[-1].value == 8.3 and trend.points[-1].n == 1
    assert "latest 8.3" in trend.svg
    # The earlier score of the same week is still drawn, as its own point.
    assert [p.value for p in trend.points][-2:] == [3.0, 8.3]


def test_it_tells_the_care_team_which_language_the_latest_answers_were_given_in(client, world):
    responses = weekly_scores(world.alice, {"phq9": [6, 8], "peg": [4, 5]})
    responses[-1].language = "es"
    responses[-1].save(update_fields=["language"])
    client.force_login(world.nina)
    html = client.get(url(world.alice)).content.decode()
    assert html.count("(Answered in: Spanish)") == 2  # PEG and PHQ-9, answered together
    client.force_login(world.alice.user)  # the patient knows which language she answered in
    assert "Answered in" not in client.get(url(world.alice)).content.decode()
