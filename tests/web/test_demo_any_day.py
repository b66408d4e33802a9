"""The demo works on any day: seeded as of a month end, a Monday, a leap day and a year end.

A smoke subset of the demo-based checks, run with the application clock standing on each
day. Each day is seeded once (module-scoped, rolled back afterwards) to keep CI fast.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client

from coproduce.platform import clock

DAYS = [
    dt.date(2026, 12, 31),  # a year end (Thursday)
    dt.date(2027, 1, 31),  # a month end (Sunday)
    dt.date(2027, 3, 1),  # a Monday, the day after February
    dt.date(2028, 2, 29),  # a leap day (Tuesday)
]


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module", params=DAYS, ids=[d.isoformat() for d in DAYS])
def demo_day(request, django_db_setup, django_db_blocker):
    """Seed the demo as of the day, with the clock frozen there; undo it all afterwards."""
    from coproduce.demo import seed_all

    day = request.param
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    with django_db_blocker.unblock(), clock.frozen(noon):
        try:
            with transaction.atomic():
                ctx = seed_all(today=day)
                yield day, ctx
                raise _Rollback
        except _Rollback:
            pass


@pytest.fixture
def on_day(demo_day, db):
    return demo_day


def _client(username: str) -> Client:
    from coproduce.people.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_it_seeds_as_of_the_day(on_day):
    from coproduce.visits.models import Appointment

    day, ctx = on_day
    assert ctx.today == day
    assert clock.today() == day
    week = [a.starts_at.date() for a in Appointment.objects.filter(status="booked")]
    assert any(abs((d - day).days) <= 7 for d in week), "appointments this week"


def test_maria_has_a_check_in_due_now_and_her_link_opens_it(on_day):
    from coproduce.checkins.demo import patient_checkin_link

    link = patient_checkin_link()
    assert link, "Maria has an open check-in due now"
    response = Client().get(link.split("127.0.0.1:8000", 1)[-1], follow=True)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("patient", "/"),
        ("patient", "/patients/CP-DEMOPAT1/dashboard/"),
        ("parent", "/"),
        ("teen", "/"),
        ("nurse", "/"),
        ("nurse", "/alerts/"),
        ("clinician", "/patients/CP-DEMOPAT1/dashboard/"),
        ("clinician", "/team/previsit/"),
        ("qi", "/"),
        ("paciente", "/"),
        ("patient_sv", "/patients/CP-DEMOPASV/dashboard/"),
    ],
)
def test_every_login_lands_on_a_working_page(on_day, username, path):
    response = _client(username).get(path, follow=True)
    assert response.status_code == 200, (username, path)


def test_the_spanish_and_swedish_patients_read_in_their_language_and_have_history(on_day):
    day, _ = on_day
    home = _client("paciente").get("/", follow=True).content.decode()
    assert '<html lang="es">' in home and "Cerrar sesión" in home
    board = _client("patient_sv").get("/patients/CP-DEMOPASV/dashboard/")
    assert '<html lang="sv">' in board.content.decode() and board.context["trends"]
    assert max(t.latest_at for t in board.context["trends"]) <= day
    # Lucía's site is in the US; her team sees why her questionnaires are not sent to her.
    from coproduce.people.models import Patient

    lucia = Patient.objects.get(registry_id="CP-DEMOPACI")
    assert lucia.care_team.site.country == "US" and lucia.scores.exists()


def test_lucia_has_a_check_in_due_today_in_spanish(on_day):
    from coproduce.checkins.models import OPEN_STATUSES, Invitation
    from coproduce.instruments.library import available_in

    now = clock.now()
    due = Invitation.objects.filter(
        patient__registry_id="CP-DEMOPACI",
        status__in=OPEN_STATUSES,
        due_at__lte=now,
        expires_at__gt=now,
    )
    assert due.exists()
    for invitation in due:
        assert invitation.instruments
        assert all(available_in(i, "es") for i in invitation.instruments), invitation.instruments
    home = _client("paciente").get("/", follow=True).content.decode()
    assert "Cuestionario para el" in home  # her due check-in, in Spanish, on her page
    page = _client("nurse").get("/patients/CP-DEMOPACI/").content.decode()
    assert "Not asked in Español" in page


def test_the_dashboard_shows_marias_history_up_to_the_day(on_day):
    day, _ = on_day
    response = _client("clinician").get("/patients/CP-DEMOPAT1/dashboard/")
    trends = response.context["trends"]
    assert trends, "Maria has scores"
    assert max(t.latest_at for t in trends) <= day
    assert response.context["today"] == day


def test_every_measure_has_a_network_chart(on_day):
    from coproduce.registry.measures import MEASURES
    from coproduce.registry.services import measure_by_site

    day, _ = on_day
    for measure_id, measure in MEASURES.items():
        network, _sites = measure_by_site(measure, today=day)
        assert network.chart is not None, measure_id


def test_every_visit_this_week_has_a_pre_visit_check_in_and_about_half_are_answered(on_day):
    from coproduce.checkins import previsit
    from coproduce.checkins.models import InvitationStatus
    from coproduce.visits.dashboard import PREVISIT
    from coproduce.visits.models import Appointment

    day, _ = on_day
    monday = day - dt.timedelta(days=day.weekday())
    week = [
        a
        for a in Appointment.objects.filter(status="booked").select_related("care_team__site")
        if monday <= a.starts_at.astimezone(a.care_team.site.zone).date() < monday + dt.timedelta(7)
        or a.patient.registry_id == "CP-DEMOPAT1"
    ]
    assert len(week) >= 10
    planned = previsit.for_appointments(week)
    assert all(a.pk in planned for a in week), "every appointment has a pre-visit invitation"
    due = [planned[a.pk] for a in week if planned[a.pk].due_at <= clock.now()]
    answered = [i for i in due if i.status == InvitationStatus.COMPLETED]
    assert 0.25 <= len(answered) / len(due) <= 0.8, (len(answered), len(due))
    partners = [i for i in answered if "previsit-partner" in i.response.answers[PREVISIT]]
    assert partners, "some say how they like to partner"
    maria = next(a for a in week if a.patient.registry_id == "CP-DEMOPAT1")
    assert planned[maria.pk].status != InvitationStatus.COMPLETED  # her walk-through


def test_the_clinicians_day_list_shows_who_has_answered(on_day):
    response = _client("clinician").get("/team/previsit/")
    from coproduce.checkins import previsit

    rows = response.context["rows"]
    assert rows
    planned = previsit.for_appointments([r.appointment for r in rows])
    for row in rows:
        answered = planned[row.appointment.pk].status == "completed"
        assert row.previsit_done == answered, row.appointment.patient.registry_id
    # The demo answers about half: whatever the weekday, the list shows both kinds.
    assert any(r.previsit_done for r in rows), "no answered pre-visit check-in in the list"
    assert not all(r.previsit_done for r in rows), "no unanswered pre-visit check-in"
    html = response.content.decode()
    assert html.count(">Done<") == sum(r.previsit_done for r in rows) >= 1
