"""The FHIR server's shape: base URL, old routes, media type, errors, CapabilityStatement."""

import json

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from coproduce.interop.fhir_registry import RESOURCES
from tests.interop.conftest import post
from tests.interop.schema import r4_schema_errors, require_schema

FHIR_JSON = "application/fhir+json"


def _outcome(res, status):
    assert res.status_code == status, res.content
    assert res["Content-Type"] == FHIR_JSON
    assert b"<html" not in res.content.lower()
    return OperationOutcome.model_validate(res.json())


def test_the_old_routes_answer_308_to_the_new_ones(client, world, answered):
    client.force_login(world.nina)
    res = client.get(f"/api/v1/fhir/QuestionnaireResponse?patient={world.alice.registry_id}")
    assert res.status_code == 308
    assert res["Location"] == f"/fhir/R4/QuestionnaireResponse?patient={world.alice.registry_id}"
    followed = client.get(res["Location"])
    assert followed.status_code == 200 and followed.json()["total"] == 2
    # 308 keeps the method: a POST is sent on, not turned into a GET.
    moved = post(client, "/api/v1/fhir/QuestionnaireResponse", {"resourceType": "x"})
    assert (moved.status_code, moved["Location"]) == (308, "/fhir/R4/QuestionnaireResponse")


def test_metadata_needs_no_login_and_is_a_capability_statement(client, db):
    res = client.get("/fhir/R4/metadata")
    assert res.status_code == 200 and res["Content-Type"] == FHIR_JSON
    statement = CapabilityStatement.model_validate(res.json())
    assert statement.fhirVersion == "4.0.1" and statement.format == ["json"]
    offered = {r.type: r for r in statement.rest[0].resource}
    assert set(offered) == {
        "Patient",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "Goal",
        "CarePlan",
        "MedicationStatement",
        "Appointment",
    }
    assert [i.code for i in offered["Appointment"].interaction] == [
        "read",
        "search-type",
        "create",
        "update",
    ]
    assert [i.code for i in offered["QuestionnaireResponse"].interaction] == [
        "read",
        "search-type",
        "create",
    ]
    token = statement.rest[0].security.extension[0].extension[0].valueUri
    assert token.endswith("/fhir/R4/auth/token")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_every_listed_search_parameter_is_accepted_and_others_are_refused(
    client, world, record, resource
):
    client.force_login(world.nina)
    listed = json.loads(client.get("/fhir/R4/metadata").content)["rest"][0]["resource"]
    (entry,) = [r for r in listed if r["type"] == resource.name]
    patient = world.alice.registry_id
    samples = {
        "patient": patient,
        "subject": f"Patient/{patient}",
        "identifier": patient,
        "_id": patient,
        "url": "https://coproduce.org/fhir/Questionnaire/phq9",
        "questionnaire": "https://coproduce.org/fhir/Questionnaire/phq9",
        "code": "44261-6",
        "date": "ge2026-01-01",
        "authored": "ge2026-01-01",
        "_lastUpdated": "ge2026-01-01",
        "lifecycle-status": "active",
        "status": "active" if resource.name != "Appointment" else "booked",
    }
    needs_patient = "patient" in {p["name"] for p in entry["searchParam"]}
    for param in entry["searchParam"]:
        query = {param["name"]: samples[param["name"]]}
        if needs_patient and param["name"] not in ("patient", "subject"):
            query["patient"] = patient
        res = client.get(f"/fhir/R4/{resource.name}", query)
        assert res.status_code == 200, (param["name"], res.content)
    query = {"colour": "blue", **({"patient": patient} if needs_patient else {})}
    refused = client.get(f"/fhir/R4/{resource.name}", query)
    outcome = _outcome(refused, 400)
    assert outcome.issue[0].code == "not-supported" and "colour" in outcome.issue[0].diagnostics


def test_an_unsupported_parameter_is_refused_not_ignored(client, world, answered):
    client.force_login(world.nina)
    res = client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id, "_sort": "date"})
    assert "_sort" in _outcome(res, 400).issue[0].diagnostics
    modifier = client.get(
        "/fhir/R4/Observation", {"patient": world.alice.registry_id, "code:text": "x"}
    )
    assert _outcome(modifier, 400).issue[0].code == "not-supported"


def test_every_error_is_an_operation_outcome(client, world, answered):
    assert _outcome(client.get("/fhir/R4/Patient"), 401).issue[0].code == "login"
    assert client.get("/fhir/R4/Patient")["WWW-Authenticate"].startswith("Bearer")
    client.force_login(world.nina)
    assert _outcome(client.get("/fhir/R4/Nothing/here"), 404).issue[0].code == "not-found"
    assert _outcome(client.get("/fhir/R4/Patient/CP-NOSUCH00"), 404).issue[0].code == "not-found"
    assert _outcome(client.delete(f"/fhir/R4/Patient/{world.alice.registry_id}"), 405)
    assert _outcome(
        client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id, "_count": "lots"}),
        400,
    )
    assert _outcome(
        client.get(
            "/fhir/R4/Observation", {"patient": world.alice.registry_id, "date": "yesterday"}
        ),
        400,
    )
    assert _outcome(
        client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id, "date": "sa2026"}),
        400,
    )
    assert _outcome(client.get("/fhir/R4/Observation"), 400)  # no patient
    csrf = type(client)(enforce_csrf_checks=True)
    csrf.force_login(world.alice.user)
    assert (
        _outcome(post(csrf, "/fhir/R4/QuestionnaireResponse", {}), 403).issue[0].code == "forbidden"
    )


def test_a_method_a_route_does_not_take_is_a_405_operation_outcome(client, world, answered):
    client.force_login(world.nina)
    read = f"/fhir/R4/Patient/{world.alice.registry_id}"
    for method, url in (
        ("post", "/fhir/R4/Observation"),  # search only: no create
        ("put", "/fhir/R4/Patient"),
        ("patch", read),
        ("options", "/fhir/R4/Patient"),
        ("post", "/fhir/R4/metadata"),
        ("post", "/fhir/R4/.well-known/smart-configuration"),
    ):
        res = getattr(client, method)(url)
        assert _outcome(res, 405).issue[0].code == "not-supported", (method, url)
        assert res.has_header("Allow"), (method, url)
    assert "GET" in client.put("/fhir/R4/Patient")["Allow"]


def test_head_answers_wherever_get_does_with_its_headers_and_no_body(client, world, answered):
    client.force_login(world.nina)
    for url in (
        "/fhir/R4/metadata",
        f"/fhir/R4/Patient/{world.alice.registry_id}",
        f"/fhir/R4/Observation?patient={world.alice.registry_id}",
        "/fhir/R4/Patient/CP-NOSUCH00",
    ):
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code, url
        assert head["Content-Type"] == got["Content-Type"] == "application/fhir+json", url
        assert head.content == b"" and head["Content-Length"] == str(len(got.content)), url
    assert client.head("/fhir/R4/.well-known/smart-configuration").status_code == 200


def test_a_server_error_below_the_api_is_an_operation_outcome(rf):
    """Django's own 500 page (an exception no handler took) leaves as an OperationOutcome."""
    from django.views.defaults import server_error

    from coproduce.interop.fhir_http import FhirErrorMiddleware

    res = FhirErrorMiddleware(server_error)(rf.get("/fhir/R4/Patient"))
    assert (res.status_code, res["Content-Type"]) == (500, FHIR_JSON)
    (issue,) = OperationOutcome.model_validate(json.loads(res.content)).issue
    assert issue.code == "exception" and "nothing was changed" in issue.diagnostics
    elsewhere = FhirErrorMiddleware(server_error)(rf.get("/staff/"))
    assert elsewhere.status_code == 500 and b"<h1>" in elsewhere.content  # other pages keep theirs


def test_metadata_refuses_parameters_it_does_not_take(client, db):
    assert _outcome(client.get("/fhir/R4/metadata", {"mode": "full"}), 400).issue[0].code == (
        "not-supported"
    )
    pretty = client.get("/fhir/R4/metadata", {"_format": "json", "_pretty": "true"})
    assert pretty.status_code == 200 and b"\n  " in pretty.content


def test_only_json_is_offered_and_pretty_printing_is_accepted(client, world, answered):
    client.force_login(world.nina)
    url = f"/fhir/R4/Patient/{world.alice.registry_id}"
    assert _outcome(client.get(url, {"_format": "xml"}), 406).issue[0].code == "not-supported"
    plain = client.get(url, {"_format": "json"})
    pretty = client.get(url, {"_format": "application/fhir+json", "_pretty": "true"})
    assert plain.json() == pretty.json()
    assert b"\n  " in pretty.content and b"\n" not in plain.content
    assert _outcome(client.get(url, {"version": "1"}), 400)  # reads refuse unknown parameters too
    search = {"patient": world.alice.registry_id}
    assert _outcome(client.get("/fhir/R4/Observation", {**search, "_format": "xml"}), 406)
    found = client.get("/fhir/R4/Observation", {**search, "_format": "json", "_pretty": "true"})
    assert found.status_code == 200 and b"\n  " in found.content and found.json()["total"] == 2
    assert _outcome(client.get("/fhir/R4/Observation", {**search, "_pretty": "yes"}), 400)


def test_every_fhir_answer_is_fhir_json(client, world, record):
    client.force_login(world.nina)
    patient = world.alice.registry_id
    for resource in RESOURCES:
        query = {} if resource.name in ("Patient", "Questionnaire") else {"patient": patient}
        res = client.get(f"/fhir/R4/{resource.name}", query)
        assert (res.status_code, res["Content-Type"]) == (200, FHIR_JSON), resource.name
        for entry in res.json()["entry"]:
            one = client.get(entry["fullUrl"].removeprefix("http://testserver"))
            assert one.status_code == 200 and one["Content-Type"] == FHIR_JSON
            assert one.json() == entry["resource"]


@pytest.mark.parametrize("base", ["/fhir/R4", "/api/v1/fhir"])
def test_the_base_without_its_slash_answers_fhir_never_html(client, rf, world, base):
    client.force_login(world.nina)
    for method in ("get", "head", "post", "put", "delete"):
        res = getattr(client, method)(base + "?_format=json")
        assert res.status_code == 308, (method, res.content)
        assert res["Location"] == "/fhir/R4/?_format=json", method
        assert res["Content-Type"] == FHIR_JSON, method
        if method != "head":
            (issue,) = OperationOutcome.model_validate(res.json()).issue
            assert issue.severity == "information" and "/fhir/R4/" in issue.diagnostics
    # An error there is an OperationOutcome too (the middleware counts it as a FHIR path).
    from django.http import HttpResponseNotAllowed

    from coproduce.interop.fhir_http import FhirErrorMiddleware

    refused = FhirErrorMiddleware(lambda request: HttpResponseNotAllowed(["GET"]))(rf.patch(base))
    assert (refused.status_code, refused["Content-Type"]) == (405, FHIR_JSON)
    (issue,) = OperationOutcome.model_validate(json.loads(refused.content)).issue
    assert issue.code == "not-supported"


def test_the_old_route_takes_a_bearer_post_whatever_the_csrf_check(world):
    """The 308 is no CSRF target (it changes nothing); the new route then takes the token."""
    from django.test import Client

    from tests.interop.test_apiclient import _token, bearer, create
    from tests.interop.test_fhir_submit import _peg

    scope = "system/QuestionnaireResponse.c"
    made = create(scope=scope)
    csrf = Client(enforce_csrf_checks=True)
    auth = bearer(_token(csrf, made, scope))
    body = _peg(world.alice)
    moved = post(csrf, "/api/v1/fhir/QuestionnaireResponse", body, **auth)
    assert (moved.status_code, moved["Location"]) == (308, "/fhir/R4/QuestionnaireResponse")
    created = post(csrf, moved["Location"], body, **auth)
    assert created.status_code == 201, created.content
    # A session without the CSRF token is still refused where the data is written.
    csrf.force_login(world.nina)
    assert _outcome(post(csrf, moved["Location"], body, key="k2"), 403)


def test_each_search_parameter_names_its_own_r4_definition(client, db):
    """The R4 SearchParameter each type defines (hl7.org/fhir/R4/<type>-search.html)."""
    listed = client.get("/fhir/R4/metadata").json()["rest"][0]["resource"]
    found = {
        (r["type"], p["name"]): p.get("definition", "").removeprefix(
            "http://hl7.org/fhir/SearchParameter/"
        )
        for r in listed
        for p in r.get("searchParam", [])
    }
    expected = {
        ("QuestionnaireResponse", "patient"): "QuestionnaireResponse-patient",
        ("QuestionnaireResponse", "subject"): "QuestionnaireResponse-subject",
        ("Observation", "patient"): "clinical-patient",
        ("Observation", "subject"): "Observation-subject",
        ("Goal", "patient"): "clinical-patient",
        ("Goal", "subject"): "Goal-subject",
        ("CarePlan", "patient"): "clinical-patient",
        ("CarePlan", "subject"): "CarePlan-subject",
        ("CarePlan", "status"): "CarePlan-status",
        ("MedicationStatement", "patient"): "clinical-patient",
        ("MedicationStatement", "subject"): "MedicationStatement-subject",
        ("MedicationStatement", "status"): "medications-status",
        ("Appointment", "patient"): "Appointment-patient",
        ("Appointment", "subject"): "",  # R4 Appointment has no subject: coproduce's alias
        ("Appointment", "status"): "Appointment-status",
        ("Appointment", "date"): "Appointment-date",
    }
    assert {key: found[key] for key in expected} == expected


def _each_error(client, rf, world) -> dict[int, object]:
    """One answer of each error status, each an OperationOutcome (checked with R4B)."""
    from django.views.defaults import server_error

    from coproduce.interop.fhir_http import FhirErrorMiddleware

    read = f"/fhir/R4/Patient/{world.alice.registry_id}"
    found = {401: client.get("/fhir/R4/Patient")}
    csrf = type(client)(enforce_csrf_checks=True)
    csrf.force_login(world.alice.user)
    found[403] = post(csrf, "/fhir/R4/QuestionnaireResponse", {})
    client.force_login(world.nina)
    found[400] = client.get("/fhir/R4/Observation", {"patient": world.alice.registry_id, "x": 1})
    found[404] = client.get("/fhir/R4/Patient/CP-NOSUCH00")
    found[405] = client.delete(read)
    found[406] = client.get(read, {"_format": "xml"})
    server = FhirErrorMiddleware(server_error)(rf.get("/fhir/R4/Patient"))
    server.json = lambda: json.loads(server.content)
    found[500] = server
    for status, res in found.items():
        _outcome(res, status)
    return {status: res.json() for status, res in found.items()}


def test_each_error_status_is_an_operation_outcome(client, rf, world, answered):
    assert sorted(_each_error(client, rf, world)) == [400, 401, 403, 404, 405, 406, 500]


def test_each_error_outcome_is_valid_for_the_official_r4_json_schema(client, rf, world, answered):
    require_schema()
    outcomes = _each_error(client, rf, world)
    assert {status: r4_schema_errors(body) for status, body in outcomes.items()} == {
        status: [] for status in outcomes
    }
