import copy
import json

from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import CheckinResponse
from coproduce.interop.fhir import CRISIS_RESOURCES_URL, PATIENT_MESSAGE_URL, REGISTRY_ID_SYSTEM
from tests.interop.conftest import answers, post, submit
from tests.interop.schema import check_r4b, r4_schema_errors, require_schema

URL = "/fhir/R4/QuestionnaireResponse"


def _peg(patient, pain=4):
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "https://coproduce.org/fhir/Questionnaire/peg|1.0",
        "status": "completed",
        "subject": {"identifier": {"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}},
        "item": [
            {
                "linkId": "peg-items",
                "item": [
                    {"linkId": f"peg-{n}", "answer": [{"valueInteger": pain}]} for n in (1, 2, 3)
                ],
            }
        ],
    }


def _outcome(res, status=400):
    assert res.status_code == status, res.content
    assert res["Content-Type"] == "application/fhir+json"
    return OperationOutcome.model_validate(res.json())


def test_it_stores_a_response_through_the_check_in_service(client, world):
    client.force_login(world.alice.user)
    res = post(client, URL, _peg(world.alice))
    assert res.status_code == 201, res.content
    stored = CheckinResponse.objects.get()
    assert stored.answers == {"peg": {"peg-1": 4, "peg-2": 4, "peg-3": 4}}
    assert (stored.patient, stored.submitted_by, stored.source) == (
        world.alice,
        world.alice.user,
        "fhir",
    )
    assert stored.scores.get().score == 4
    body = QuestionnaireResponse.model_validate(res.json())
    assert body.id == f"{stored.pk}-peg"
    assert res["Location"] == f"http://testserver{URL}/{stored.pk}-peg"
    assert AuditEvent.objects.filter(event="checkin.submitted", patient=world.alice).count() == 1


def test_it_round_trips_an_exported_response(client, world, answered):
    client.force_login(world.alice.user)
    bundle = client.get(f"{URL}?patient={world.alice.registry_id}").json()
    for n, entry in enumerate(bundle["entry"]):
        exported = copy.deepcopy(entry["resource"])
        res = post(client, URL, exported, key=f"again-{n}")
        assert res.status_code == 201, res.content
    first, *again = CheckinResponse.objects.order_by("pk")
    assert {i: a for r in again for i, a in r.answers.items()} == first.answers
    assert {i: v for r in again for i, v in r.versions.items()} == first.versions
    scores = {s.instrument_id: s.score for r in again for s in r.scores.all()}
    assert scores == {s.instrument_id: s.score for s in first.scores.all()}


def test_it_stores_one_response_for_a_repeated_key(client, world):
    client.force_login(world.alice.user)
    first = post(client, URL, _peg(world.alice), key="same")
    again = post(client, URL, _peg(world.alice, pain=9), key="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert CheckinResponse.objects.count() == 1


def test_it_names_the_item_of_an_out_of_range_answer_and_stores_nothing(client, world):
    client.force_login(world.alice.user)
    body = _peg(world.alice)
    body["item"][0]["item"][0]["answer"] = [{"valueInteger": 12}]
    outcome = _outcome(post(client, URL, body))
    assert "peg-1" in outcome.issue[0].diagnostics
    assert outcome.issue[0].expression == ["QuestionnaireResponse.item.where(linkId='peg-1')"]
    assert CheckinResponse.objects.count() == 0


def test_it_names_the_item_the_fhir_model_rejects(client, world):
    client.force_login(world.alice.user)
    body = _peg(world.alice)
    body["item"][0]["item"][1]["answer"] = [{"valueInteger": "lots"}]
    outcome = _outcome(post(client, URL, body))
    assert any("peg-2" in i.diagnostics for i in outcome.issue)
    assert CheckinResponse.objects.count() == 0


def test_it_names_an_unknown_code(client, world):
    client.force_login(world.alice.user)
    body = {
        **_peg(world.alice),
        "questionnaire": "https://coproduce.org/fhir/Questionnaire/gad7|1.0",
        "item": [
            {"linkId": "gad7-1", "answer": [{"valueCoding": {"code": "LA-BANANA"}}]},
        ],
    }
    outcome = _outcome(post(client, URL, body))
    assert "gad7-1" in outcome.issue[0].diagnostics


def test_it_refuses_an_unknown_question(client, world):
    client.force_login(world.alice.user)
    body = _peg(world.alice)
    body["item"].append({"linkId": "peg-99", "answer": [{"valueInteger": 1}]})
    assert "peg-99" in _outcome(post(client, URL, body)).issue[0].diagnostics


def test_it_refuses_a_missing_required_answer(client, world):
    client.force_login(world.alice.user)
    body = _peg(world.alice)
    del body["item"][0]["item"][2]
    assert "peg-3" in _outcome(post(client, URL, body)).issue[0].diagnostics
    assert CheckinResponse.objects.count() == 0


def test_it_refuses_an_unfinished_response(client, world):
    client.force_login(world.alice.user)
    outcome = _outcome(post(client, URL, {**_peg(world.alice), "status": "in-progress"}))
    assert outcome.issue[0].expression == ["QuestionnaireResponse.status"]


def test_it_refuses_a_questionnaire_it_does_not_ship_or_another_version(client, world):
    client.force_login(world.alice.user)
    for canonical in (
        "http://example.org/Questionnaire/phq9|1.0",
        "https://coproduce.org/fhir/Questionnaire/peg|0.1",
    ):
        outcome = _outcome(post(client, URL, {**_peg(world.alice), "questionnaire": canonical}))
        assert outcome.issue[0].expression == ["QuestionnaireResponse.questionnaire"]
    assert CheckinResponse.objects.count() == 0


def test_it_refuses_a_subject_without_a_registry_id(client, world):
    client.force_login(world.alice.user)
    body = {**_peg(world.alice), "subject": {"identifier": {"system": "urn:x", "value": "1"}}}
    assert _outcome(post(client, URL, body)).issue[0].expression == [
        "QuestionnaireResponse.subject"
    ]


def test_it_refuses_what_is_not_a_questionnaire_response(client, world):
    client.force_login(world.alice.user)
    outcome = _outcome(post(client, URL, {"resourceType": "Patient"}))
    assert outcome.issue
    assert CheckinResponse.objects.count() == 0


def test_it_needs_an_idempotency_key(client, world):
    client.force_login(world.alice.user)
    outcome = _outcome(post(client, URL, _peg(world.alice), key=None))
    assert "Idempotency-Key" in outcome.issue[0].diagnostics


def test_it_lets_a_parent_answer_for_her_child(client, world):
    client.force_login(world.paula)
    assert post(client, URL, _peg(world.tom)).status_code == 201
    assert CheckinResponse.objects.get().patient == world.tom


def test_it_answers_with_404_for_anyone_who_may_not_answer(client, world):
    for user, patient in (
        (world.nina, world.alice),  # the care team reads but does not answer for her
        (world.carl, world.alice),
        (world.ruth, world.alice),
        (world.quinn, world.alice),
        (world.alice.user, world.tom),
        (world.paula, world.alice),
    ):
        client.force_login(user)
        outcome = _outcome(post(client, URL, _peg(patient)), status=404)
        assert outcome.issue[0].code == "not-found"
    assert CheckinResponse.objects.count() == 0


def test_it_shows_crisis_resources_when_item_9_is_positive(client, world, answered):
    submit(world.tom, "tom-crisis", {"phq9": answers(item9=2)["phq9"]})
    client.force_login(world.paula)
    bundle = client.get(f"{URL}?patient={world.tom.registry_id}").json()
    crisis = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].endswith("-phq9"))
    res = post(client, URL, crisis, key="crisis-again")
    assert res.status_code == 201
    urls = [x["url"] for x in res.json()["extension"]]
    assert CRISIS_RESOURCES_URL in urls
    QuestionnaireResponse.model_validate(res.json())


def test_it_needs_a_login(client, world):
    assert post(client, URL, _peg(world.alice)).status_code == 401


def test_it_needs_the_csrf_token_from_a_browser_session(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.alice.user)
    assert post(browser, URL, _peg(world.alice)).status_code == 403
    assert CheckinResponse.objects.count() == 0
    token = "csrf0token0for0tests0abcdefghijk"  # 32 letters and digits, as Django's secret
    browser.cookies["csrftoken"] = token
    res = post(browser, URL, _peg(world.alice), HTTP_X_CSRFTOKEN=token)
    assert res.status_code == 201, res.content


def test_it_accepts_the_fhir_json_media_type(client, world):
    client.force_login(world.alice.user)
    res = client.post(
        URL,
        json.dumps(_peg(world.alice)),
        content_type="application/fhir+json",
        headers={"Idempotency-Key": "fhir-json"},
    )
    assert res.status_code == 201, res.content


def test_it_answers_malformed_json_with_an_operation_outcome(client, world):
    client.force_login(world.alice.user)
    res = client.post(
        URL, "{not json", content_type="application/json", headers={"Idempotency-Key": "x"}
    )
    _outcome(res)


def test_its_crisis_resources_say_the_team_was_told_only_when_it_was(client, world, answered):
    submit(world.tom, "tom-crisis", {"phq9": answers(item9=2)["phq9"]})
    client.force_login(world.paula)
    bundle = client.get(f"{URL}?patient={world.tom.registry_id}").json()
    crisis = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].endswith("-phq9"))

    def crisis_text(key: str) -> str:
        res = post(client, URL, crisis, key=key)
        assert res.status_code == 201, res.content
        return next(x for x in res.json()["extension"] if x["url"] == CRISIS_RESOURCES_URL)[
            "valueString"
        ]

    nobody = crisis_text("nobody-to-tell")  # no address in the team, no site contact
    assert "could not alert your care team" in nobody and "has been told" not in nobody
    site = world.tom.care_team.site
    site.urgent_email = "on-call@north.example.org"
    site.save()
    assert "Your care team has been told" in crisis_text("on-call-told")


def _answered(res, status, answers: list | None = None):
    assert res.status_code == status, res.content
    check_r4b(res.json())
    if answers is not None:
        answers.append(res.json())
    return res.json()


def _phq9(patient, item9: int) -> dict:
    weights = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1"}
    return {
        **_peg(patient),
        "questionnaire": "https://coproduce.org/fhir/Questionnaire/phq9|1.0",
        "item": [
            {
                "linkId": f"phq9-{n}",
                "answer": [{"valueCoding": {"code": weights[item9 if n == 9 else 1]}}],
            }
            for n in range(1, 10)
        ],
    }


def _stored_and_refused(client, world) -> list[dict]:
    """The stored answer (new, then repeated) and four refusals, each checked with the R4B
    models and for what it says."""
    client.force_login(world.paula)
    crisis = _phq9(world.tom, item9=2)
    answers: list[dict] = []
    stored = _answered(post(client, URL, crisis, key="stored"), 201, answers)
    assert {x["url"] for x in stored["extension"]} >= {CRISIS_RESOURCES_URL, PATIENT_MESSAGE_URL}
    _answered(post(client, URL, crisis, key="stored"), 200, answers)
    out_of_range = _peg(world.tom)
    out_of_range["item"][0]["item"][0]["answer"] = [{"valueInteger": 12}]
    refused = _answered(post(client, URL, out_of_range, key="range"), 400, answers)
    assert refused["issue"][0]["expression"] == ["QuestionnaireResponse.item.where(linkId='peg-1')"]
    in_progress = {**_peg(world.tom), "status": "in-progress"}
    _answered(post(client, URL, in_progress, key="s"), 400, answers)
    _answered(post(client, URL, _peg(world.alice), key="not-hers"), 404, answers)
    _answered(post(client, URL, {"resourceType": "Patient"}, key="what"), 400, answers)
    return answers


def test_the_stored_answer_and_each_refusal_are_valid_r4b_and_say_what_happened(client, world):
    """With its patient-message and crisis extensions, and each OperationOutcome."""
    answers = _stored_and_refused(client, world)
    assert [a["resourceType"] for a in answers] == ["QuestionnaireResponse"] * 2 + [
        "OperationOutcome"
    ] * 4


def test_the_stored_answer_and_each_refusal_are_valid_for_the_official_r4_json_schema(
    client, world
):
    require_schema()
    answers = _stored_and_refused(client, world)
    assert [r4_schema_errors(a) for a in answers] == [[]] * len(answers)


def test_the_not_stored_answer_carries_the_crisis_resources(client, world, broken_database):
    client.force_login(world.alice.user)
    outcome = _answered(post(client, URL, _phq9(world.alice, item9=2), key="down"), 503)
    assert [x["url"] for x in outcome["extension"]] == [CRISIS_RESOURCES_URL]


def test_the_not_stored_answer_is_valid_for_the_official_r4_json_schema(
    client, world, broken_database
):
    require_schema()
    client.force_login(world.alice.user)
    outcome = _answered(post(client, URL, _phq9(world.alice, item9=2), key="down"), 503)
    assert r4_schema_errors(outcome) == []
