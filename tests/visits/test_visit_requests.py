import datetime as dt

import pytest
from django.urls import reverse

from coproduce.audit.models import AuditEvent
from coproduce.visits.models import SitePolicy, VisitRequest
from coproduce.visits.services import add_working_days

pytestmark = pytest.mark.django_db


def ask(client, patient, text="I'm not doing well"):
    return client.post(
        reverse("visits:request-visit", args=[patient.registry_id]), {"text": text}, follow=True
    )


def test_it_counts_working_days_skipping_weekends():
    friday = dt.date(2026, 11, 20)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 23)  # Monday
    assert add_working_days(friday, 10) == dt.date(2026, 12, 4)
    saturday = dt.date(2026, 11, 21)
    assert add_working_days(saturday, 1) == dt.date(2026, 11, 23)
    wednesday = dt.date(2026, 11, 18)
    assert add_working_days(wednesday, 0) == wednesday
    assert add_working_days(wednesday, 5) == dt.date(2026, 11, 25)


def test_it_lets_a_patient_ask_to_be_seen_and_the_team_sees_it(client, world):
    client.force_login(world.alice.user)
    response = ask(client, world.alice, "Pain much worse since Monday")
    assert "Your care team has your request" in response.content.decode()
    request = VisitRequest.objects.get()
    assert request.status == "open" and request.requested_by == world.alice.user
    local_day = request.created_at.astimezone(world.team_a.site.zone).date()
    assert request.target_by == add_working_days(local_day, 10)  # Gävle's default
    event = AuditEvent.objects.get(event="visit.requested")
    assert event.patient == world.alice and "Pain" not in str(event.detail)

    client.force_login(world.nina)
    html = client.get(reverse("visits:previsit")).content.decode()
    assert "Requests to be seen" in html
    assert "“Pain much worse since Monday”" in html
    assert reverse("visits:dashboard", args=[world.alice.registry_id]) in html

    client.force_login(world.carl)  # another site's clinician
    assert "Pain much worse" not in client.get(reverse("visits:previsit")).content.decode()


def test_it_uses_the_sites_target(client, world):
    SitePolicy.objects.create(site=world.team_a.site, target_working_days=3)
    client.force_login(world.alice.user)
    ask(client, world.alice)
    request = VisitRequest.objects.get()
    assert request.target_by == add_working_days(
        request.created_at.astimezone(world.team_a.site.zone).date(), 3
    )


def test_it_keeps_one_open_request_on_a_double_click(client, world):
    client.force_login(world.alice.user)
    ask(client, world.alice)
    second = ask(client, world.alice)
    assert VisitRequest.objects.count() == 1
    assert "already has your request" in second.content.decode()


def test_it_lets_a_parent_ask_for_their_child(client, world):
    client.force_login(world.paula)
    ask(client, world.tom, "Tom is not eating")
    request = VisitRequest.objects.get()
    assert request.patient == world.tom and request.requested_by == world.paula
    assert AuditEvent.objects.get(event="visit.requested").acting_for == world.tom


def test_it_refuses_staff_and_strangers(client, world):
    client.force_login(world.nina)
    assert ask(client, world.alice).status_code == 404
    client.force_login(world.paula)
    assert ask(client, world.alice).status_code == 404
    assert not VisitRequest.objects.exists()


def test_it_refuses_a_too_long_text_and_keeps_nothing(client, world):
    client.force_login(world.alice.user)
    response = ask(client, world.alice, "x" * 501)
    assert "keep it to 500 characters" in response.content.decode()
    assert not VisitRequest.objects.exists()


def test_it_lets_the_team_mark_a_request_booked_then_closed(client, world):
    client.force_login(world.alice.user)
    ask(client, world.alice)
    request = VisitRequest.objects.get()
    client.force_login(world.nina)
    update = reverse("visits:update-request", args=[request.pk])
    client.post(update, {"status": "scheduled"})
    request.refresh_from_db()
    assert request.status == "scheduled"
    client.post(update, {"status": "closed"})
    request.refresh_from_db()
    assert request.status == "closed" and request.closed_by == world.nina
    assert AuditEvent.objects.filter(event="visit_request.updated").count() == 2
    assert "No open requests." in client.get(reverse("visits:previsit")).content.decode()


def test_it_hides_requests_from_other_teams(client, world):
    client.force_login(world.alice.user)
    ask(client, world.alice)
    request = VisitRequest.objects.get()
    client.force_login(world.carl)
    response = client.post(
        reverse("visits:update-request", args=[request.pk]), {"status": "closed"}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "open"


def test_it_shows_the_open_request_on_the_dashboard(client, world):
    client.force_login(world.alice.user)
    ask(client, world.alice)
    html = client.get(reverse("visits:dashboard", args=[world.alice.registry_id])).content
    assert b"You asked to be seen on" in html


def test_the_target_date_is_the_next_booked_visit_when_that_comes_sooner(client, world):
    import datetime as dt

    from coproduce.platform import clock
    from coproduce.visits import services
    from coproduce.visits.models import Appointment

    today = clock.clinic_today(world.alice.care_team.site)
    target, is_visit = services.visit_target(world.alice, today)
    assert not is_visit and target > today
    soon = clock.now() + dt.timedelta(days=2)
    Appointment.objects.create(patient=world.alice, care_team=world.team_a, starts_at=soon)
    target, is_visit = services.visit_target(world.alice, today)
    assert is_visit and target == soon.astimezone(world.alice.care_team.site.zone).date()
    client.force_login(world.alice.user)
    page = client.get(f"/patients/{world.alice.registry_id}/dashboard/").content.decode()
    assert "Your next booked visit" in page
    assert page.index('id="ask-h"') < page.index('id="concern-h"')  # near the top


def test_crisis_numbers_are_tap_to_call_links():
    from coproduce.platform.templatetags.plain_text import bulleted

    html = bulleted("- Call 112 or 988 now.\nCall +46 8 123 45 67. PHQ-9 item 9.")
    assert '<a class="tel" href="tel:112">112</a>' in html
    assert '<a class="tel" href="tel:988">988</a>' in html
    assert 'href="tel:+46812345' in html and "PHQ-9 item 9" in html
