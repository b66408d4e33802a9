"""One "not stored" outcome: web, JSON API, FHIR and CLI answer 503 with crisis help, and so
does a submit whose database failed before the submit ran (session, audited read)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.interop.fhir import CRISIS_RESOURCES_URL, REGISTRY_ID_SYSTEM
from coproduce.platform import clock
from tests.checkins.conftest import full_answers

API = "/api/v1/checkins/"
FHIR = "/fhir/R4/QuestionnaireResponse"


def _phq9_qr(patient, item9: int):
    weights = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
    items = [
        {
            "linkId": f"phq9-{n}",
            "answer": [{"valueCoding": {"code": weights[item9 if n == 9 else 1]}}],
        }
        for n in range(1, 10)
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "https://coproduce.org/fhir/Questionnaire/phq9|1.0",
        "status": "completed",
        "subject": {"identifier": {"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}},
        "item": items,
    }


def _post(client, url, body, key="db-down"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


@contextlib.contextmanager
def table_gone(table: str):
    """The database really loses a table (as after a failed restore): every query on it fails."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


def _fhir_crisis(res) -> str:
    assert res.status_code == 503, res.content
    assert res["Content-Type"] == "application/fhir+json"
    OperationOutcome.model_validate(res.json())
    [ext] = [e for e in res.json()["extension"] if e["url"] == CRISIS_RESOURCES_URL]
    return ext["valueString"]


def test_the_fhir_submit_answers_503_with_crisis_help_when_the_database_fails(
    client, world, broken_database
):
    client.force_login(world.alice.user)
    qr = _phq9_qr(world.alice, item9=2)
    help_now = _fhir_crisis(_post(client, FHIR, qr))
    assert "112" in help_now and "NOT been told" in help_now
    assert CheckinResponse.objects.count() == 0
    broken_database()
    assert _post(client, FHIR, qr).status_code == 201


def test_the_fhir_submit_shows_no_crisis_help_without_a_red_flag(client, world, broken_database):
    client.force_login(world.alice.user)
    res = _post(client, FHIR, _phq9_qr(world.alice, item9=0))
    assert res.status_code == 503 and "extension" not in res.json()


def test_the_cli_says_not_stored_and_shows_crisis_help(world, broken_database, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": full_answers(item9=2)}))
    err = io.StringIO()
    with pytest.raises(CommandError, match="not stored"):
        call_command("checkin", str(path), patient=world.alice.registry_id, key="k", stderr=err)
    assert "112" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_when_the_session_is_lost_before_the_submit(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.alice.user)
    with table_gone("django_session"):
        res = _post(client, API, {"answers": full_answers(item9=2)})
    assert res.status_code == 503, res.content
    assert res.json()["crisis"] and "NOT been told" in res.json()["crisis_resources"]
    with table_gone("django_session"):
        calm = _post(client, API, {"answers": full_answers(item9=0)})
    assert calm.status_code == 503 and calm.json()["crisis"] is False
    assert CheckinResponse.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_when_the_audited_read_fails_before_the_submit(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.alice.user)
    with table_gone("audit_auditevent"):
        res = _post(client, API, {"answers": full_answers(item9=1)})
    assert res.status_code == 503, res.content
    assert res.json()["crisis"] and "112" in res.json()["crisis_resources"]
    assert CheckinResponse.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_fhir_submit_answers_503_when_the_session_is_lost(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.alice.user)
    with table_gone("django_session"):
        res = _post(client, FHIR, _phq9_qr(world.alice, item9=3))
    assert "112" in _fhir_crisis(res)


@pytest.mark.django_db(transaction=True)
def test_the_web_send_answers_503_with_crisis_help_when_the_link_cannot_be_read(world):
    inv = on_demand(world.alice, ["peg"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    client = Client(raise_request_exception=False)
    client.post(f"/c/{token}/1/", {"peg-1": 5, "peg-2": 6, "peg-3": 7, "action": "next"})
    with table_gone("checkins_invitation"):
        page = client.post(f"/c/{token}/send/")
    html = page.content.decode()
    assert page.status_code == 503, html
    # The answers are in the database: crisis help is shown, since nobody can tell.
    assert "Your check-in was not sent yet" in html and "112" in html
    assert "Send again" in html
    assert CheckinResponse.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_web_send_does_not_say_not_sent_when_it_was_stored(world):
    inv = on_demand(world.alice, ["peg"], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(inv, purpose="invitation")
    client = Client(raise_request_exception=False)
    client.post(f"/c/{token}/1/", {"peg-1": 5, "peg-2": 6, "peg-3": 7, "action": "next"})
    with table_gone("django_session"):  # the link's session cannot be read or saved
        page = client.post(f"/c/{token}/send/")
    assert page.status_code == 302 and page["Location"] == "/c/done/"  # sent, as from its link
    assert "not sent" not in page.content.decode()
    assert CheckinResponse.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_other_pages_still_answer_500_when_the_database_fails(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.alice.user)
    with table_gone("django_session"):
        assert client.get("/me/").status_code == 500


@pytest.mark.parametrize("body", [{"nope": {}}, {"": {}}])
def test_the_api_names_an_unknown_instrument_with_400(client, world, body):
    client.force_login(world.alice.user)
    res = _post(client, API, {"answers": body}, key="unknown-instrument")
    assert res.status_code == 400, res.content
    name = next(iter(body))
    assert res.json()["instrument"] == name
    assert (f"“{name}”" if name else '("")') in res.json()["detail"]
    assert CheckinResponse.objects.count() == 0


@pytest.mark.parametrize("key", ["", "k" * 65])
@pytest.mark.parametrize("url", [API, FHIR])
def test_it_refuses_an_idempotency_key_of_the_wrong_length_as_sent(client, world, key, url):
    client.force_login(world.alice.user)
    body = {"answers": full_answers()} if url == API else _phq9_qr(world.alice, item9=0)
    res = _post(client, url, body, key=key)
    assert res.status_code == 400, res.content
    assert "1 to 64 characters" in res.content.decode()
    assert CheckinResponse.objects.count() == 0


@pytest.mark.parametrize("url", [API, FHIR])
def test_it_takes_a_64_character_key(client, world, url):
    client.force_login(world.alice.user)
    body = {"answers": full_answers()} if url == API else _phq9_qr(world.alice, item9=0)
    assert _post(client, url, body, key="k" * 64).status_code == 201


def test_the_api_sends_each_message_with_a_validate_field(client, world):
    client.force_login(world.alice.user)
    res = _post(client, API, {"answers": full_answers(item9=2)}, key="messages")
    assert res.status_code == 201, res.content
    [message, *_] = res.json()["messages"]
    assert set(message) == {"acknowledge", "validate", "advise", "clinic_will", "crisis"}
    assert message["validate"]
