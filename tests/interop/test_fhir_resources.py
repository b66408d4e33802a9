"""The resources the FHIR server emits, their search, paging and schema validity."""

import pytest

from coproduce.audit.models import AuditEvent
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM
from coproduce.interop.fhir_registry import RESOURCES
from coproduce.interop.fhir_resources.medication_statement import MME_URL
from tests.interop.schema import check_r4b, r4_schema_errors, require_schema

BASE = "/fhir/R4/"


def _search(client, resource, **params):
    res = client.get(BASE + resource, params)
    assert res.status_code == 200, res.content
    return res.json()


def _all_pages(client, resource, **params):
    """Follow next links; return the resources and the number of pages."""
    bundle = _search(client, resource, **params)
    found, pages = [e["resource"] for e in bundle["entry"]], 1
    while nxt := next((lk["url"] for lk in bundle["link"] if lk["relation"] == "next"), None):
        bundle = client.get(nxt.removeprefix("http://testserver")).json()
        found += [e["resource"] for e in bundle["entry"]]
        pages += 1
    return found, pages, bundle["total"]


def test_it_pages_through_a_patients_observations_with_next_links(client, world, record):
    client.force_login(world.nina)
    found, pages, total = _all_pages(
        client, "Observation", patient=world.alice.registry_id, _count=2
    )
    assert total == 7 and len(found) == 7 and pages == 4  # 3 PHQ-9 + 3 PEG + 1 GAD-7
    assert len({o["id"] for o in found}) == 7
    times = [o["effectiveDateTime"] for o in found]
    assert times == sorted(times, reverse=True)
    first = _search(client, "Observation", patient=world.alice.registry_id, _count=2)
    assert [lk["relation"] for lk in first["link"]] == ["self", "next"]
    assert "_offset=2" in first["link"][1]["url"] and "_count=2" in first["link"][1]["url"]


def test_paging_links_keep_the_format_asked_for(client, world, record):
    client.force_login(world.nina)
    first = _search(
        client,
        "Observation",
        patient=world.alice.registry_id,
        _count=2,
        _format="json",
        _pretty="true",
    )
    for link in first["link"]:
        assert "_format=json" in link["url"] and "_pretty=true" in link["url"]
    nxt = next(lk["url"] for lk in first["link"] if lk["relation"] == "next")
    page2 = client.get(nxt.removeprefix("http://testserver"))
    assert page2.status_code == 200
    assert page2.content.decode().startswith("{\n")  # still pretty-printed


def test_an_observation_carries_the_loinc_code_value_and_band(client, world, record):
    client.force_login(world.nina)
    bundle = _search(
        client, "Observation", patient=world.alice.registry_id, code="http://loinc.org|44261-6"
    )
    assert bundle["total"] == 3
    latest = bundle["entry"][0]["resource"]
    assert latest["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    }
    assert latest["valueQuantity"]["value"] == 16  # eight items at 2, item 9 at 0
    assert latest["interpretation"][0]["coding"][0]["code"] == "moderately_severe"
    assert latest["subject"] == {
        "identifier": {"system": REGISTRY_ID_SYSTEM, "value": world.alice.registry_id}
    }
    assert latest["derivedFrom"][0]["reference"].startswith("QuestionnaireResponse/")
    gad = _search(client, "Observation", patient=world.alice.registry_id, code="70274-6")
    assert [e["resource"]["valueQuantity"]["value"] for e in gad["entry"]] == [14]
    peg = _search(
        client,
        "Observation",
        patient=world.alice.registry_id,
        code="https://coproduce.org/fhir/CodeSystem/instrument|peg",
    )
    assert sorted(e["resource"]["valueQuantity"]["value"] for e in peg["entry"]) == [4, 5, 6]


def test_it_searches_by_date_and_last_updated(client, world, record):
    client.force_login(world.nina)
    rid = world.alice.registry_id
    client_get = lambda **p: _search(client, "Observation", patient=rid, **p)["total"]  # noqa: E731
    assert client_get(date="2026-01") == 4
    assert client_get(date="2026-01-19") == 2
    assert client_get(date=["ge2026-01-10", "lt2026-02-03"]) == 4
    assert client_get(date="gt2026-02-02") == 1
    assert client_get(_lastUpdated="le2026-01-05") == 2
    assert client_get(date="ne2026-01-19") == 5
    qrs = _search(client, "QuestionnaireResponse", patient=rid, authored="ge2026-02-01")
    assert qrs["total"] == 3


def test_questionnaire_responses_page_one_resource_per_instrument(client, world, record):
    client.force_login(world.nina)
    found, pages, total = _all_pages(
        client, "QuestionnaireResponse", patient=world.alice.registry_id, _count=3
    )
    assert (total, len(found), pages) == (7, 7, 3)
    only_phq = _search(
        client,
        "QuestionnaireResponse",
        patient=world.alice.registry_id,
        questionnaire="https://coproduce.org/fhir/Questionnaire/phq9",
    )
    assert only_phq["total"] == 3


def test_it_finds_a_patient_by_identifier_and_lists_only_visible_patients(client, world, record):
    client.force_login(world.nina)
    system_and_value = f"{REGISTRY_ID_SYSTEM}|{world.alice.registry_id}"
    (entry,) = _search(client, "Patient", identifier=system_and_value)["entry"]
    assert entry["resource"]["name"] == [{"family": world.alice.family_name, "given": ["Alice"]}]
    assert {e["resource"]["id"] for e in _search(client, "Patient")["entry"]} == {
        world.alice.registry_id,
        world.tom.registry_id,
    }
    listed = AuditEvent.objects.filter(event="patient.listed").order_by("pk").last()
    assert set(listed.detail["registry_ids"]) == {world.alice.registry_id, world.tom.registry_id}
    client.force_login(world.carl)
    assert _search(client, "Patient", identifier=system_and_value)["total"] == 0
    assert _search(client, "Patient", identifier=f"other|{world.alice.registry_id}")["total"] == 0


def test_goals_care_plan_and_medications(client, world, record):
    client.force_login(world.nina)
    rid = world.alice.registry_id
    goals = {
        e["resource"]["description"]["text"]: e["resource"]
        for e in _search(client, "Goal", patient=rid)["entry"]
    }
    assert goals["Walk the dog every day"]["category"][0]["coding"][0]["code"] == "patient"
    target = goals["Less pain interference"]["target"][0]
    assert target["detailQuantity"]["comparator"] == "<=" and target["detailQuantity"]["value"] == 4
    shared, plan = [e["resource"] for e in _search(client, "CarePlan", patient=rid)["entry"]]
    assert shared["id"] == f"shared-{rid}"
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert "scheduled" in {a["detail"]["status"] for a in plan["activity"]}
    assert len(plan["activity"]) == record["plan"].steps.count()
    meds = {
        e["resource"]["medicationCodeableConcept"]["text"]: e["resource"]
        for e in _search(client, "MedicationStatement", patient=rid)["entry"]
    }
    oxy = {p["url"]: p for p in meds["oxycodone"]["extension"][0]["extension"]}
    assert meds["oxycodone"]["extension"][0]["url"] == MME_URL
    # 20 mg three times a day x 1.5 (CDC 2022 oxycodone factor) = 90 MME/day.
    assert (oxy["dailyMme"]["valueDecimal"], oxy["factor"]["valueDecimal"]) == (90, 1.5)
    bup = {p["url"] for p in meds["buprenorphine"]["extension"][0]["extension"]}
    assert "dailyMme" not in bup and "note" in bup  # shown, never given an MME


@pytest.mark.parametrize(
    "resource", ["Observation", "Goal", "CarePlan", "MedicationStatement", "QuestionnaireResponse"]
)
def test_forbidden_reads_and_searches_answer_like_missing_ones(client, world, record, resource):
    client.force_login(world.nina)
    entry = _search(client, resource, patient=world.alice.registry_id)["entry"][0]
    url = entry["fullUrl"].removeprefix("http://testserver")
    before = AuditEvent.objects.order_by("pk").last().pk
    for outsider in (world.carl, world.ruth, world.paula):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        res = client.get(BASE + resource, {"patient": world.alice.registry_id})
        assert res.status_code == 404
    assert client.get(BASE + resource + "/999999").json() == client.get(url).json()
    assert not AuditEvent.objects.filter(event="patient.viewed", pk__gt=before).exists()


def test_every_read_is_audited_with_the_resource_type(client, world, record):
    client.force_login(world.nina)
    entry = _search(client, "Goal", patient=world.alice.registry_id)["entry"][0]
    client.get(entry["fullUrl"])
    events = AuditEvent.objects.filter(event="patient.viewed", patient=world.alice)
    assert [e.detail for e in events.order_by("pk")][-2:] == [
        {"page": "fhir search", "resource": "Goal"},
        {"page": "fhir read", "resource": "Goal"},
    ]


@pytest.fixture
def emitted(client, world, record):
    """Every resource the server emits for Alice's record, bundles and outcomes included."""
    client.force_login(world.nina)
    out = [client.get(BASE + "metadata").json()]
    for resource in RESOURCES:
        query = (
            {}
            if resource.name in ("Patient", "Questionnaire")
            else {"patient": world.alice.registry_id}
        )
        bundle = _search(client, resource.name, _count=100, **query)
        out.append(bundle)
        out += [e["resource"] for e in bundle["entry"]]
    out.append(client.get(BASE + "Observation/999999").json())
    out.append(client.get(BASE + "Observation", {"colour": "x"}).json())
    return out


def test_every_emitted_resource_is_valid_for_the_r4b_models(emitted):
    kinds = {r["resourceType"] for r in emitted}
    assert {"Patient", "Observation", "Goal", "CarePlan", "MedicationStatement"} <= kinds
    for resource in emitted:
        check_r4b(resource)


def test_every_emitted_resource_is_valid_for_the_official_r4_json_schema(emitted):
    problems = {
        f"{r['resourceType']}/{r.get('id', '')}": errors
        for r in emitted
        if (errors := r4_schema_errors(r))
    }
    assert problems == {}


def test_the_schema_check_finds_a_broken_resource(emitted):
    observation = next(r for r in emitted if r["resourceType"] == "Observation")
    broken = {**observation, "status": "done", "colour": "blue"}
    errors = r4_schema_errors(broken)
    assert any("status" in e for e in errors) and any("colour" in e for e in errors)


def test_the_observation_search_costs_the_same_queries_for_many_scores(
    client, world, record, django_assert_num_queries
):
    from tests.interop.conftest import submit

    client.force_login(world.nina)
    url = f"{BASE}Observation?patient={world.alice.registry_id}"
    client.get(url)  # warm the session and caches
    with django_assert_num_queries(9) as few:
        assert client.get(url).json()["total"] == 7
    for n in range(5):
        submit(world.alice, f"more-{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).json()["total"] == 17


def test_the_shared_care_plan_holds_the_patients_goals_targets_actions_and_taper(
    client, world, record
):
    client.force_login(world.nina)
    rid = world.alice.registry_id
    shared, taper = [e["resource"] for e in _search(client, "CarePlan", patient=rid)["entry"]]
    own, clinical = record["goals"]
    assert shared["goal"] == [
        {"reference": f"Goal/{own.pk}", "display": "Walk the dog every day"},
        {"reference": f"Goal/{clinical.pk}", "display": "Less pain interference"},
    ]
    # Each goal reference reads the Goal: the patient's words, and the team's measured target.
    kinds = [
        client.get(BASE + g["reference"]).json()["category"][0]["coding"][0]["code"]
        for g in shared["goal"]
    ]
    assert kinds == ["patient", "clinical"]
    (action,) = shared["activity"]
    assert action["detail"] == {
        "status": "not-started",
        "description": "Walk ten minutes after lunch",
        "performer": [{"display": "Patient"}],
        "scheduledPeriod": {"end": "2026-02-01"},
    }
    assert taper["id"] == str(record["plan"].pk)
    assert taper["partOf"] == [{"reference": f"CarePlan/shared-{rid}"}]
    assert client.get(f"{BASE}CarePlan/shared-{rid}").json() == shared
    assert _search(client, "CarePlan", patient=rid, status="active")["total"] == 2
    assert _search(client, "CarePlan", patient=rid, status="completed")["total"] == 0
    check_r4b(shared)  # and the R4 schema, with every emitted resource (the `emitted` tests)
    check_r4b(taper)
    client.force_login(world.carl)
    assert client.get(f"{BASE}CarePlan/shared-{rid}").status_code == 404


def test_a_patient_with_no_plan_yet_has_no_shared_care_plan(client, world):
    client.force_login(world.nina)
    assert _search(client, "CarePlan", patient=world.alice.registry_id)["total"] == 0
    res = client.get(f"{BASE}CarePlan/shared-{world.alice.registry_id}")
    assert res.status_code == 404


def test_last_updated_filters_exactly_where_the_capability_statement_offers_it(
    client, world, record
):
    """Offered on every resource whose record keeps the time of its last change, with
    meta.lastUpdated to match (test_fhir_last_updated.py checks each with explicit dates);
    refused on the others, which hold none (a created-at filter would hide later changes)."""
    client.force_login(world.nina)
    statement = client.get(BASE + "metadata").json()
    offered = {
        r["type"]
        for r in statement["rest"][0]["resource"]
        if "_lastUpdated" in {p["name"] for p in r.get("searchParam", [])}
    }
    assert offered == {
        "Patient",
        "QuestionnaireResponse",
        "Observation",
        "Goal",
        "CarePlan",
        "MedicationStatement",
        "Appointment",
    }
    for resource in RESOURCES:
        query = (
            {}
            if resource.name in ("Patient", "Questionnaire")
            else {"patient": world.alice.registry_id}
        )
        everything = _search(client, resource.name, **query)
        if resource.name not in offered:
            res = client.get(BASE + resource.name, {**query, "_lastUpdated": "ge2026-01-01"})
            assert res.status_code == 400 and res.json()["issue"][0]["code"] == "not-supported"
            continue
        stamps = sorted(e["resource"]["meta"]["lastUpdated"] for e in everything["entry"])
        newest = stamps[-1]
        assert (
            _search(client, resource.name, **query, _lastUpdated=f"ge{stamps[0]}")["total"]
            == everything["total"]
            > 0
        )
        later = _search(client, resource.name, **query, _lastUpdated=f"gt{newest}")
        assert later["total"] == 0
        found = _search(client, resource.name, **query, _lastUpdated=f"eq{newest}")
        assert found["total"] == sum(1 for s in stamps if s == newest)


def _unscored_observation(client, world) -> dict:
    """The SDC weight-height form with no height: its own BMI total gives no value, so no
    score is given, and the Observation says why instead of a value."""
    import json

    from coproduce.instruments.library import forget_imported
    from coproduce.instruments.services import import_questionnaire
    from tests.instruments.conftest import EXTERNAL
    from tests.interop.conftest import submit

    data = json.loads((EXTERNAL / "sdc-profile-example-weight-height.json").read_text())
    try:
        import_questionnaire(data, instrument_id="sdc-wh")
        response = submit(world.alice, "unscored", {"sdc-wh": {"/29463-7": 70}})
        score = response.scores.get()
        assert score.score is None
        client.force_login(world.nina)
        observation = client.get(f"{BASE}Observation/{score.pk}").json()
    finally:
        forget_imported()
    assert "valueQuantity" not in observation
    assert observation["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert "gave no value" in observation["dataAbsentReason"]["text"]
    return observation


def test_an_observation_without_a_score_says_why_and_is_valid_r4b(client, world):
    check_r4b(_unscored_observation(client, world))


def test_an_observation_without_a_score_is_valid_for_the_official_r4_json_schema(client, world):
    require_schema()
    assert r4_schema_errors(_unscored_observation(client, world)) == []
