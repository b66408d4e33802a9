import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from coproduce.audit.models import AuditEvent
from coproduce.instruments.library import shipped
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM, SCORE_URL
from tests.interop.conftest import answers, submit

SEARCH = "/fhir/R4/QuestionnaireResponse"


def _bundle(client, patient):
    res = client.get(f"{SEARCH}?patient={patient.registry_id}")
    assert res.status_code == 200, res.content
    assert res["Content-Type"] == "application/fhir+json"
    return res.json()


def _items(qr):
    """{linkId: answer list} over the nested items of a QuestionnaireResponse."""
    found = {}
    stack = list(qr.get("item", []))
    while stack:
        item = stack.pop()
        if "answer" in item:
            found[item["linkId"]] = item["answer"]
        stack += item.get("item", [])
    return found


@pytest.mark.parametrize("key", sorted(shipped()), ids=lambda k: f"{k[0]}-{k[1]}")
def test_it_serves_every_shipped_questionnaire_valid_for_r4b(client, world, key):
    client.force_login(world.nina)
    res = client.get(f"/fhir/R4/Questionnaire/{key[0]}?version={key[1]}")
    assert res.status_code == 200 and res["Content-Type"] == "application/fhir+json"
    questionnaire = Questionnaire.model_validate(res.json())
    assert (questionnaire.id, questionnaire.version) == key


def test_it_answers_an_unknown_questionnaire_with_an_operation_outcome(client, world):
    client.force_login(world.nina)
    res = client.get("/fhir/R4/Questionnaire/nope")
    assert res.status_code == 404
    outcome = OperationOutcome.model_validate(res.json())
    assert outcome.issue[0].code == "not-found"


def test_it_exports_one_valid_questionnaire_response_per_instrument(client, world, answered):
    client.force_login(world.alice.user)
    bundle = _bundle(client, world.alice)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == 2
    resources = {e["resource"]["questionnaire"]: e["resource"] for e in bundle["entry"]}
    assert set(resources) == {
        "https://coproduce.org/fhir/Questionnaire/phq9|1.0",
        "https://coproduce.org/fhir/Questionnaire/peg|1.0",
    }
    for qr in resources.values():
        QuestionnaireResponse.model_validate(qr)
        assert qr["status"] == "completed"
        assert qr["subject"] == {
            "identifier": {"system": REGISTRY_ID_SYSTEM, "value": world.alice.registry_id}
        }
        assert qr["authored"] == answered[0].submitted_at.isoformat()


def test_it_exports_answers_typed_by_item(client, world, answered):
    client.force_login(world.alice.user)
    entries = _bundle(client, world.alice)["entry"]
    by_id = {e["resource"]["id"].split("-", 1)[1]: e["resource"] for e in entries}
    phq9, peg = _items(by_id["phq9"]), _items(by_id["peg"])
    assert phq9["phq9-1"] == [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6570-1",
                "display": "More than half the days",
            }
        }
    ]
    assert phq9["phq9-10"][0]["valueCoding"]["code"] == "LA6573-5"
    assert peg == {f"peg-{n}": [{"valueInteger": 5}] for n in (1, 2, 3)}
    # Items keep the Questionnaire's groups.
    assert by_id["peg"]["item"][0]["linkId"] == "peg-items"


def test_it_carries_the_score_as_an_extension(client, world, answered):
    client.force_login(world.alice.user)
    entries = _bundle(client, world.alice)["entry"]
    phq9 = next(e["resource"] for e in entries if e["resource"]["id"].endswith("-phq9"))
    (score,) = [x for x in phq9["extension"] if x["url"] == SCORE_URL]
    parts = {
        p["url"]: next(v for k, v in p.items() if k.startswith("value")) for p in score["extension"]
    }
    assert parts["value"] == 16 and parts["complete"] is True and parts["band"]


def test_it_never_exports_the_database_key_of_the_patient(client, world, answered):
    client.force_login(world.alice.user)
    text = client.get(f"{SEARCH}?patient={world.alice.registry_id}").content.decode()
    assert world.alice.registry_id in text
    assert f'"Patient/{world.alice.pk}"' not in text and '"reference"' not in text


def test_it_exports_free_text_and_open_choice_answers_as_strings(client, world):
    submit(
        world.alice,
        "previsit-1",
        {
            "previsit": {
                "previsit-concern": "My knee at night",
                "previsit-partner-note": "Please explain options",
            }
        },
    )
    client.force_login(world.alice.user)
    (entry,) = _bundle(client, world.alice)["entry"]
    QuestionnaireResponse.model_validate(entry["resource"])
    items = _items(entry["resource"])
    assert items["previsit-concern"] == [{"valueString": "My knee at night"}]
    assert items["previsit-partner-note"] == [{"valueString": "Please explain options"}]


def test_it_lets_the_care_team_and_a_parent_search(client, world, answered):
    client.force_login(world.nina)
    assert _bundle(client, world.tom)["total"] == 2
    client.force_login(world.paula)
    assert _bundle(client, world.tom)["total"] == 2


def test_it_answers_forbidden_searches_exactly_like_missing_patients(client, world, answered):
    client.force_login(world.nina)
    missing = client.get(f"{SEARCH}?patient=CP-NOSUCH00")
    assert missing.status_code == 404
    for user, patient in (
        (world.carl, world.alice),
        (world.ruth, world.alice),
        (world.quinn, world.tom),
        (world.alice.user, world.tom),
        (world.paula, world.alice),
    ):
        client.force_login(user)
        res = client.get(f"{SEARCH}?patient={patient.registry_id}")
        assert (res.status_code, res.json()) == (404, missing.json())
    assert not AuditEvent.objects.filter(event="patient.viewed").exists()


def test_it_audits_the_search(client, world, answered):
    client.force_login(world.nina)
    _bundle(client, world.alice)
    event = AuditEvent.objects.get(event="patient.viewed")
    assert (event.actor, event.patient) == (world.nina, world.alice)
    assert event.detail == {"page": "fhir search", "resource": "QuestionnaireResponse"}


def test_it_reads_one_response_by_the_id_in_the_bundle(client, world, answered):
    client.force_login(world.nina)
    entry = _bundle(client, world.alice)["entry"][0]
    res = client.get(entry["fullUrl"].removeprefix("http://testserver"))
    assert res.status_code == 200 and res.json() == entry["resource"]
    client.force_login(world.carl)
    assert client.get(entry["fullUrl"]).status_code == 404
    assert client.get(f"{SEARCH}/nonsense").status_code == 404


def test_it_needs_the_patient_parameter(client, world):
    client.force_login(world.nina)
    res = client.get(SEARCH)
    assert res.status_code == 400
    outcome = OperationOutcome.model_validate(res.json())
    assert "patient" in outcome.issue[0].diagnostics


def test_it_needs_a_login(client, world, answered):
    assert client.get(f"{SEARCH}?patient={world.alice.registry_id}").status_code == 401


def test_it_lists_the_newest_response_first(client, world, answered):
    later = submit(world.alice, "alice-2", {"peg": answers(peg=2)["peg"]})
    client.force_login(world.alice.user)
    entries = _bundle(client, world.alice)["entry"]
    assert entries[0]["resource"]["id"] == f"{later.pk}-peg"
    assert len(entries) == 3


def test_the_search_costs_the_same_queries_for_many_responses(
    client, world, answered, django_assert_num_queries
):
    client.force_login(world.alice.user)
    client.get(f"{SEARCH}?patient={world.alice.registry_id}")  # warm the session and caches
    with django_assert_num_queries(7) as one:
        _bundle(client, world.alice)
    for n in range(5):
        submit(world.alice, f"more-{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert _bundle(client, world.alice)["total"] == 12
