"""Session ids are rotated on login, end on a change of role, and "log out everywhere"."""

from __future__ import annotations

from django.test import Client

from coproduce.audit.models import AuditEvent
from coproduce.people.models import Role


def test_it_gives_a_new_session_id_at_login(client, world):
    client.get("/login/")
    client.session.save()
    before = client.cookies["sessionid"].value
    response = client.post("/login/", {"username": "nina", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != before


def test_a_change_of_role_ends_the_users_sessions(client, world):
    client.force_login(world.nina)
    assert client.get("/team/patients/").status_code == 200
    world.nina.role = Role.RESEARCHER
    world.nina.save()
    response = client.get("/team/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    new = client.post("/login/", {"username": "nina", "password": "pw-for-tests"})
    assert client.get(new["Location"], follow=True).redirect_chain[-1][0] == "/research/"


def test_log_out_everywhere_ends_every_session_of_the_user_only(world):
    phone, desk, colleague = Client(), Client(), Client()
    phone.force_login(world.nina)
    desk.force_login(world.nina)
    colleague.force_login(world.cora)
    response = desk.post("/account/logout-everywhere/")
    assert response["Location"] == "/login/"
    assert phone.get("/team/patients/").status_code == 302
    assert desk.get("/team/patients/").status_code == 302
    assert colleague.get("/team/patients/").status_code == 200
    assert AuditEvent.objects.filter(event="session.ended_everywhere", actor=world.nina).exists()


def test_log_out_everywhere_needs_a_post(client, world):
    client.force_login(world.nina)
    assert client.get("/account/logout-everywhere/").status_code == 405
    assert client.get("/team/patients/").status_code == 200


def test_hsts_is_off_in_test_mode_over_plain_http(client, db):
    assert "Strict-Transport-Security" not in client.get("/login/")


def test_the_admin_has_no_login_form_of_its_own(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
    assert client.get("/admin/", follow=True).redirect_chain[-1][0] == "/login/?next=%2Fadmin%2F"
