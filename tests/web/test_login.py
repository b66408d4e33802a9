import pytest
from django.test import override_settings
from fhir.resources.R4B.operationoutcome import OperationOutcome

from coproduce.audit.models import AuditEvent
from coproduce.people.models import LoginFailure

FHIR_JSON = "application/fhir+json"


def test_it_asks_for_both_fields_by_name(client, db):
    response = client.post("/login/", {"username": "", "password": ""})
    assert response.status_code == 400
    assert b"Enter your username." in response.content
    assert b"Enter your password." in response.content


def test_it_says_clearly_when_username_and_password_do_not_match(client, world):
    response = client.post("/login/", {"username": "nina", "password": "wrong"})
    assert response.status_code == 400
    assert b"That username and password do not match" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event="login.failed").count() == 1


def test_it_logs_in_and_lands_on_the_role_home(client, world):
    response = client.post("/login/", {"username": "nina", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.get(response["Location"]).url == "/team/patients/"
    assert AuditEvent.objects.filter(event="login.succeeded", actor=world.nina).exists()


def test_it_does_not_redirect_off_site_after_login(client, world):
    response = client.post(
        "/login/?next=https://evil.example/", {"username": "nina", "password": "pw-for-tests"}
    )
    assert response["Location"] == "/"


@override_settings(LOGIN_FREE_FAILURES=3, LOGIN_MAX_DELAY_SECONDS=60)
def test_it_throttles_repeated_failures_even_with_the_right_password(client, world):
    # Doubling delays after 3 free failures: after 8 the next try waits 32 seconds
    # (tests/accounts/test_lockout.py has the rest of the throttle).
    for _ in range(3):
        client.post("/login/", {"username": "nina", "password": "wrong"})
    LoginFailure.objects.bulk_create(LoginFailure(username="nina", ip="127.0.0.1") for _ in "12345")
    response = client.post("/login/", {"username": "nina", "password": "pw-for-tests"})
    assert response.status_code == 400
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_MAX_FAILURES_PER_USERNAME=3)
def test_it_clears_the_failure_count_after_a_successful_login(client, world):
    client.post("/login/", {"username": "nina", "password": "wrong"})
    client.post("/login/", {"username": "nina", "password": "pw-for-tests"})
    assert LoginFailure.objects.filter(username="nina").count() == 0


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("alice", "/me/"),
        ("paula", "/family/"),
        ("nina", "/team/patients/"),
        ("carl", "/team/patients/"),
        ("cora", "/research/studies/"),
        ("ruth", "/research/"),
        ("quinn", "/registry/"),
        ("adam", "/audit/"),
    ],
)
def test_it_sends_each_role_to_its_home(client, world, who, home):
    user = world.alice.user if who == "alice" else getattr(world, who)
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == home
    assert response.status_code == 200


@override_settings(STAFF_IDLE_TIMEOUT_MINUTES=1)
def test_it_logs_staff_out_after_inactivity(client, world, monkeypatch):
    import time

    client.force_login(world.nina)
    assert client.get("/team/patients/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    response = client.get("/team/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert AuditEvent.objects.filter(event="session.expired", actor=world.nina).exists()


@override_settings(STAFF_IDLE_TIMEOUT_MINUTES=1)
def test_an_api_caller_whose_session_ended_gets_401_not_the_login_page(client, world, monkeypatch):
    import time

    real = time.time
    fhir_read = f"/fhir/R4/Patient/{world.alice.registry_id}"
    for url, kind in (("/api/v1/patients/", "application/json"), (fhir_read, FHIR_JSON)):
        client.force_login(world.nina)
        monkeypatch.setattr(time, "time", real)
        assert client.get(url).status_code == 200, url
        monkeypatch.setattr(time, "time", lambda: real() + 61)
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (401, kind), url
        if kind == FHIR_JSON:
            (issue,) = OperationOutcome.model_validate(response.json()).issue
            assert issue.code == "login" and "without activity" in issue.diagnostics
            assert response["WWW-Authenticate"].startswith("Bearer")
        else:
            assert "without activity" in response.json()["detail"]
        monkeypatch.setattr(time, "time", lambda: real() + 62)
        assert client.get(url).status_code == 401, url  # logged out: no session any more
    assert AuditEvent.objects.filter(event="session.expired", actor=world.nina).count() == 2
