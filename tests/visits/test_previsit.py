import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coproduce.audit.models import AuditEvent
from coproduce.platform import clock
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.models import Alert
from coproduce.visits.models import Appointment
from tests import factories
from tests.visits.helpers import previsit, weekly_scores

pytestmark = pytest.mark.django_db
PAGE = reverse("visits:previsit")


@pytest.fixture(autouse=True)
def _in_the_morning():
    """The visits below are booked for 23:30 today: run as of 10:00 at the clinic (Stockholm,
    the sites' default zone), so that none of them is over yet whatever the hour of the run."""
    zone = ZoneInfo("Europe/Stockholm")
    day = timezone.localtime(clock.now(), zone).date()
    with clock.frozen(dt.datetime.combine(day, dt.time(10), tzinfo=zone)):
        yield


def booked(patient, *, days: int = 0, hour: int = 23, status: str = "booked") -> Appointment:
    """An appointment `days` from today at `hour`:30 clinic-local time."""
    zone = patient.care_team.site.zone
    today = timezone.localtime(clock.now(), zone).date() + dt.timedelta(days=days)
    return Appointment.objects.create(
        patient=patient,
        care_team=patient.care_team,
        starts_at=dt.datetime.combine(today, dt.time(hour, 30), tzinfo=zone),
        status=status,
    )


def test_it_lists_only_the_users_teams_for_today_and_tomorrow(client, world):
    other = factories.make_patient(world.team_b, given_name="Bob")
    booked(world.alice, days=0)
    booked(world.tom, days=1)
    booked(other, days=0)
    later = factories.make_patient(world.team_a, given_name="Later")
    booked(later, days=2)
    client.force_login(world.nina)
    html = client.get(PAGE).content.decode()
    assert "Alice" in html and "Tom" in html
    assert "Bob" not in html and "Later" not in html
    event = AuditEvent.objects.get(event="patient.listed", actor=world.nina)
    assert event.detail["registry_ids"] == sorted([world.alice.registry_id, world.tom.registry_id])


@pytest.mark.parametrize("who", ["patient", "paula", "ruth"])
def test_it_is_for_care_staff_only(client, world, who):
    user = world.alice.user if who == "patient" else getattr(world, who)
    client.force_login(user)
    assert client.get(PAGE).status_code == 404


def test_it_flags_concern_worsening_alerts_and_quiet_patients(client, world):
    Appointment.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        starts_at=clock.now() - dt.timedelta(days=40),
        status="attended",
    )
    weekly_scores(world.alice, {"phq9": [4, 5, 5, 6, 6, 7, 8, 12]}, end=clock.now())
    previsit(world.alice, {"previsit-concern": "My sleep is awful"})
    Alert.objects.create(
        patient=world.alice, care_team=world.team_a, rule_id="r", priority=Priority.URGENT
    )
    booked(world.alice)
    booked(world.tom)  # never checked in
    client.force_login(world.nina)
    response = client.get(PAGE)
    rows = {r.appointment.patient_id: r for r in response.context["rows"]}
    alice, tom = rows[world.alice.pk], rows[world.tom.pk]
    assert alice.concern == "My sleep is awful" and alice.previsit_done
    assert alice.worse == ["PHQ-9 5 → 12"]
    assert alice.alerts == {"Urgent": 1} and alice.urgent
    assert not alice.quiet
    assert tom.quiet and not tom.previsit_done and not tom.worse and not tom.alerts
    html = response.content.decode()
    assert "“My sleep is awful”" in html
    assert "Worse: PHQ-9 5 → 12" in html
    assert "No check-in in 3 weeks" in html


def test_it_respects_the_weeks_setting_for_quiet_patients(client, world):
    weekly_scores(world.alice, {"phq9": [5]}, end=clock.now() - dt.timedelta(weeks=2))
    booked(world.alice)
    client.force_login(world.nina)
    assert not client.get(PAGE).context["rows"][0].quiet
    assert client.get(PAGE + "?weeks=1").context["rows"][0].quiet


def test_it_needs_the_same_number_of_queries_for_two_or_twenty_appointments(client, world):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(world.nina)
    patients = [factories.make_patient(world.team_a) for _ in range(20)]
    for p in patients[:2]:
        booked(p, hour=9)
        weekly_scores(p, {"phq9": [3, 9]})
    Appointment.objects.create(
        patient=patients[0],
        care_team=world.team_a,
        starts_at=clock.now() - dt.timedelta(days=3),
    )
    count()
    few = count()
    for n, p in enumerate(patients[2:]):
        booked(p, days=n % 2, hour=10)
        weekly_scores(p, {"phq9": [3, 9], "gad7": [2, 8]})
        previsit(p, {"previsit-concern": "x"})
        Alert.objects.create(patient=p, care_team=world.team_a, rule_id="r", priority=3)
    # session, user, teams, appointments, pre-visit answers, last check-ins, last visits,
    # latest scores, scores at the last visit, alerts, reminders, requests, audit insert,
    # the banner of urgent alerts that reached nobody, "notifications delayed?" (base
    # template) and the staff session's activity stamp (3).
    assert few == 18
    assert count() == few


def test_it_queues_exactly_one_reminder_on_a_double_click(client, world):
    world.alice.email = "alice@example.org"
    world.alice.save()
    appointment = booked(world.alice)
    client.force_login(world.nina)
    remind = reverse("visits:remind", args=[appointment.pk])
    first = client.post(remind, follow=True)
    client.post(remind)
    assert Notification.objects.count() == 1
    notification = Notification.objects.get()
    assert notification.purpose == "reminder"
    assert notification.to == "alice@example.org"
    assert "PHQ" not in notification.body  # no health details in a message
    assert AuditEvent.objects.filter(event="visit.reminder_queued").count() == 1
    assert "Reminder queued for Alice" in first.content.decode()
    assert "Reminder queued." in client.get(PAGE).content.decode()


def test_it_refuses_a_reminder_for_another_teams_appointment(client, world):
    other = factories.make_patient(world.team_b, email="b@example.org")
    appointment = booked(other)
    client.force_login(world.nina)
    assert client.post(reverse("visits:remind", args=[appointment.pk])).status_code == 404
    assert not Notification.objects.exists()


def test_it_does_not_accept_a_reminder_by_get(client, world):
    appointment = booked(world.alice)
    client.force_login(world.nina)
    assert client.get(reverse("visits:remind", args=[appointment.pk])).status_code == 405


def test_it_explains_when_there_is_nowhere_to_send_a_reminder(client, world):
    appointment = booked(world.alice)
    client.force_login(world.nina)
    html = client.post(reverse("visits:remind", args=[appointment.pk]), follow=True)
    assert "no e-mail address or phone number" in html.content.decode()
    assert not Notification.objects.exists()


def test_the_reminder_carries_the_pre_visit_link_and_the_patients_home_lists_it(client, world):
    import re

    from coproduce.checkins.models import InvitationStatus
    from coproduce.checkins.previsit import invitation_of
    from coproduce.platform import delivery

    world.alice.email = "alice@example.org"
    world.alice.save()
    appointment = booked(world.alice, days=1, hour=10)
    client.force_login(world.nina)
    client.post(reverse("visits:remind", args=[appointment.pk]))
    notification = Notification.objects.get()
    assert "Log in" not in notification.body
    link = re.search(r"https?://\S+/c/\S+/", notification.body).group(0)
    invitation = invitation_of(appointment)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.expires_at == appointment.starts_at
    delivery.send_pending()
    client.force_login(world.alice.user)
    home = client.get(reverse("my-home")).content.decode()
    assert "Check-in before your visit on" in home
    assert "Your check-in before this visit is open" in home
    client.logout()
    opened = client.get(link.split("8000", 1)[-1], follow=True)
    assert "checkins/refused.html" not in {t.name for t in opened.templates}


def test_it_says_so_when_the_pre_visit_check_in_is_already_answered(client, world):
    from coproduce.checkins.models import InvitationStatus
    from coproduce.checkins.previsit import invitation_of, sync

    world.alice.email = "alice@example.org"
    world.alice.save()
    appointment = booked(world.alice, days=1, hour=10)
    sync(appointment)
    invitation = invitation_of(appointment)
    invitation.status = InvitationStatus.COMPLETED
    invitation.save()
    client.force_login(world.nina)
    page = client.post(reverse("visits:remind", args=[appointment.pk]), follow=True)
    assert "has already answered the check-in before this visit" in page.content.decode()
    assert not Notification.objects.exists()


def test_a_reminder_clicked_at_night_says_when_it_will_go(client, world):
    world.alice.email = "alice@example.org"
    world.alice.save()
    appointment = booked(world.alice, days=1, hour=11)
    client.force_login(world.nina)
    zone = ZoneInfo("Europe/Stockholm")
    day = timezone.localtime(clock.now(), zone).date()
    with clock.frozen(dt.datetime.combine(day, dt.time(21, 40), tzinfo=zone)):
        page = client.post(reverse("visits:remind", args=[appointment.pk]), follow=True)
    html = page.content.decode()
    assert f"Reminder queued for {world.alice.display_name}. It will be sent at 08:00." in html
    notification = Notification.objects.get()
    tomorrow_at_8 = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), tzinfo=zone)
    assert notification.next_attempt_at == tomorrow_at_8


def test_a_reminder_clicked_in_the_day_does_not_say_it_waits(client, world):
    world.alice.email = "alice@example.org"
    world.alice.save()
    appointment = booked(world.alice, days=1, hour=11)
    client.force_login(world.nina)
    html = client.post(reverse("visits:remind", args=[appointment.pk]), follow=True)
    assert f"Reminder queued for {world.alice.display_name}." in html.content.decode()
    assert "It will be sent at" not in html.content.decode()
