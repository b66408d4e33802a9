"""A system (SMART Backend Services token) storing a QuestionnaireResponse for a patient.

The client acts for its staff user: it may store a response for a patient that user may see,
if its token's scopes allow creating QuestionnaireResponses. The check-in goes through the
same submit service (safety net, idempotency) and names the client as its author.
"""

import pytest

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import CheckinResponse
from coproduce.interop.fhir import API_CLIENT_SYSTEM, CRISIS_RESOURCES_URL, REGISTRY_ID_SYSTEM
from coproduce.interop.models import SystemSubmission
from coproduce.safetynet.models import Alert
from tests.interop.conftest import answers, post
from tests.interop.schema import check_r4b
from tests.interop.test_apiclient import _token, bearer, create
from tests.interop.test_fhir_submit import URL, _peg


def _phq9(patient, item9: int) -> dict:
    weights = answers(item9=item9)["phq9"]
    codes = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
    items = [
        {
            "linkId": link_id,
            "answer": [
                {
                    "valueCoding": {
                        "system": "http://loinc.org",
                        "code": codes[value] if isinstance(value, int) else value,
                    }
                }
            ],
        }
        for link_id, value in weights.items()
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "https://coproduce.org/fhir/Questionnaire/phq9",
        "status": "completed",
        "subject": {"identifier": {"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}},
        "item": items,
    }


@pytest.mark.parametrize("scope", ["system/QuestionnaireResponse.write", "system/*.cruds"])
def test_a_system_stores_a_response_for_a_patient_its_user_may_see(client, world, scope):
    made = create(scope=scope)
    token = _token(client, made, scope)
    res = post(client, URL, _peg(world.alice), key="kiosk-1", **bearer(token))
    assert res.status_code == 201, res.content
    stored = CheckinResponse.objects.get()
    assert (stored.patient, stored.submitted_by, stored.source) == (
        world.alice,
        world.nina,
        "fhir-system",
    )
    assert stored.scores.get().score == 4
    assert SystemSubmission.objects.get().response == stored
    body = res.json()
    check_r4b(body)
    assert body["author"] == {
        "type": "Device",
        "identifier": {"system": API_CLIENT_SYSTEM, "value": made["client_id"]},
        "display": "lab",
    }
    # Read back by the care team in the browser, it still names the client.
    client.force_login(world.nina)
    assert client.get(f"{URL}/{body['id']}").json()["author"] == body["author"]
    sent = AuditEvent.objects.get(event="apiclient.response_submitted")
    assert (sent.actor, sent.patient, sent.detail["client"]) == (world.nina, world.alice, "lab")
    submitted = AuditEvent.objects.get(event="checkin.submitted")
    assert (submitted.actor, submitted.detail["source"]) == (world.nina, "fhir-system")


def test_a_repeated_key_stores_one_response_and_another_client_has_its_own_keys(client, world):
    scope = "system/QuestionnaireResponse.c"
    first = create("kiosk", scope=scope)
    token = _token(client, first, scope)
    assert post(client, URL, _peg(world.alice), key="k", **bearer(token)).status_code == 201
    repeat = post(client, URL, _peg(world.alice), key="k", **bearer(token))
    assert repeat.status_code == 200
    assert CheckinResponse.objects.count() == SystemSubmission.objects.count() == 1
    other = create("ehr", scope=scope)
    res = post(client, URL, _peg(world.alice, 2), key="k", **bearer(_token(client, other, scope)))
    assert res.status_code == 201
    assert CheckinResponse.objects.count() == 2
    assert AuditEvent.objects.filter(event="apiclient.response_submitted").count() == 2


def test_the_safety_net_runs_on_what_a_system_stores(client, world):
    scope = "system/QuestionnaireResponse.write"
    token = _token(client, create(scope=scope), scope)
    res = post(client, URL, _phq9(world.alice, item9=2), key="crisis", **bearer(token))
    assert res.status_code == 201, res.content
    assert CRISIS_RESOURCES_URL in [x["url"] for x in res.json()["extension"]]
    alert = Alert.objects.get(patient=world.alice)
    assert alert.response == CheckinResponse.objects.get()


def test_a_read_scope_may_not_store(client, world):
    made = create(scope="system/*.read")
    token = _token(client, made, "system/QuestionnaireResponse.read")
    res = post(client, URL, _peg(world.alice), **bearer(token))
    assert res.status_code == 403 and res.json()["issue"][0]["code"] == "forbidden"
    assert CheckinResponse.objects.count() == 0


def test_a_system_may_not_store_for_a_patient_its_user_may_not_see(client, world):
    scope = "system/QuestionnaireResponse.write"
    token = _token(client, create("outsider", user="carl", scope=scope), scope)
    res = post(client, URL, _peg(world.alice), **bearer(token))
    assert res.status_code == 404 and res.json()["issue"][0]["code"] == "not-found"
    assert CheckinResponse.objects.count() == SystemSubmission.objects.count() == 0


def test_a_logged_in_nurse_still_may_not_answer_for_her_patient(client, world):
    # Only a registered system forwards answers for the care team; a person answers for
    # themself or their child.
    client.force_login(world.nina)
    assert post(client, URL, _peg(world.alice)).status_code == 404
    assert CheckinResponse.objects.count() == 0
