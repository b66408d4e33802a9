"""Imported instruments are answered through the FHIR QuestionnaireResponse create too."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from fhir.resources.R4B.questionnaire import Questionnaire

from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.services import submit_checkin
from coproduce.instruments.importer import check_questionnaire
from coproduce.instruments.library import forget_imported
from coproduce.instruments.services import import_questionnaire
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM
from tests.instruments.conftest import EXTERNAL, REDCAP
from tests.instruments.test_import import VALID
from tests.interop.conftest import post
from tests.interop.schema import check_r4b, r4_schema_errors, require_schema
from tests.interop.test_fhir_submit import URL


def _import():
    data = json.loads((EXTERNAL / "sdc-profile-example-weight-height.json").read_text())
    return import_questionnaire(data, instrument_id="sdc-wh")


def _response(patient, questionnaire, bmi=99):
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": {"identifier": {"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}},
        "item": [
            {"linkId": "/29463-7", "answer": [{"valueDecimal": 70}]},
            {"linkId": "/8302-2", "answer": [{"valueDecimal": 69}]},
            {"linkId": "/39156-5", "answer": [{"valueDecimal": bmi}]},
        ],
    }


def test_it_stores_an_imported_instrument_and_recomputes_its_calculated_item(client, world):
    row = _import()
    try:
        url = row.questionnaire.get("url") or "sdc-wh"
        client.force_login(world.alice.user)
        res = post(client, URL, _response(world.alice, url))
        assert res.status_code == 201, res.content
        stored = CheckinResponse.objects.get()
        # The client's BMI (99) is not taken: the Questionnaire's own expression computes it.
        assert stored.answers == {"sdc-wh": {"/29463-7": 70, "/8302-2": 69, "/39156-5": 22.8}}
        assert stored.scores.get().score == 22.8
    finally:
        forget_imported()


def test_it_still_refuses_an_instrument_it_does_not_know(client, world):
    client.force_login(world.alice.user)
    res = post(client, URL, _response(world.alice, "https://example.org/Questionnaire/nope"))
    assert res.status_code in (400, 422), res.content
    assert "is not an instrument known here" in res.content.decode()


QUESTIONNAIRE = URL.rsplit("/", 1)[0] + "/Questionnaire"


def _served_back(client, world, name: str, instrument_id: str) -> dict:
    """An imported Questionnaire as the server gives it back, checked with the R4B models."""
    try:
        import_questionnaire(json.loads((EXTERNAL / name).read_text()), instrument_id=instrument_id)
        client.force_login(world.nina)
        res = client.get(f"{QUESTIONNAIRE}/{instrument_id}")
        assert res.status_code == 200, res.content
        served = res.json()
        Questionnaire.model_validate(served)
        check_questionnaire(served)  # no value of the wrong JSON type, nothing STU3
        return served
    finally:
        forget_imported()


def _redcap_forms_back(client, world) -> list[dict]:
    try:
        call_command("redcap", "import", str(REDCAP / "redcapr-survey.csv"), stdout=StringIO())
        client.force_login(world.nina)
        found = []
        for form in ("prescreening_survey", "participant_info_survey"):
            res = client.get(f"{QUESTIONNAIRE}/{form}")
            assert res.status_code == 200, res.content
            Questionnaire.model_validate(res.json())
            found.append(res.json())
        return found
    finally:
        forget_imported()


@pytest.mark.parametrize(("name", "instrument_id"), VALID)
def test_it_serves_each_imported_questionnaire_back_valid(client, world, name, instrument_id):
    assert _served_back(client, world, name, instrument_id)["resourceType"] == "Questionnaire"


@pytest.mark.parametrize(("name", "instrument_id"), VALID)
def test_each_imported_questionnaire_served_back_is_valid_for_the_official_r4_json_schema(
    client, world, name, instrument_id
):
    require_schema()
    assert r4_schema_errors(_served_back(client, world, name, instrument_id)) == []


def test_it_serves_redcap_forms_back_valid(client, world):
    assert len(_redcap_forms_back(client, world)) == 2


def test_the_redcap_forms_served_back_are_valid_for_the_official_r4_json_schema(client, world):
    require_schema()
    assert [r4_schema_errors(form) for form in _redcap_forms_back(client, world)] == [[], []]


def test_it_serves_a_primitive_extension_on_an_extension_value_as_imported(client, world):
    """Valid R4 that the R4B models reject (see test_import_checks): served, not refused."""
    data = json.loads((EXTERNAL / "sdc-profile-example-weight-height.json").read_text())
    translation = {"url": "http://hl7.org/fhir/StructureDefinition/translation", "extension": [
        {"url": "lang", "valueCode": "sv"}, {"url": "content", "valueString": "Vikt"}]}  # fmt: skip
    extension = {"url": "http://hl7.org/fhir/StructureDefinition/entryFormat",
                 "valueString": "kg", "_valueString": {"extension": [translation]}}  # fmt: skip
    data["item"][0].setdefault("extension", []).append(extension)
    try:
        import_questionnaire(data, instrument_id="wh-sv")
        client.force_login(world.nina)
        res = client.get(f"{QUESTIONNAIRE}/wh-sv")
        assert res.status_code == 200, res.content
        assert res.json()["item"][0]["extension"][-1] == extension
    finally:
        forget_imported()


SHIPPED = {"phq9", "gad7", "peg", "pain-nrs"}
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _ids(resource: dict) -> list[str]:
    """Every id in `resource` (nested resources included) and every reference's id."""
    found = [resource["id"]] if "id" in resource else []
    for value in resource.values():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, dict):
                if "reference" in part:
                    found.append(part["reference"].rsplit("/", 1)[-1])
                found += _ids(part) if "resourceType" in part else []
    return found


def _redcap_form_answered(client, world) -> list[dict]:
    """REDCap form names hold `_`, which FHIR ids may not: every emitted id is valid and
    reads back; the Questionnaire, its search, the responses and observations are returned."""
    try:
        call_command("redcap", "import", str(REDCAP / "redcapr-survey.csv"), stdout=StringIO())
        form = "participant_morale_questionnaire"
        with transaction.atomic():
            submit_checkin(
                patient=world.alice,
                answers={form: {"pmq1": "1", "pmq4": "2"}},
                idempotency_key="pmq",
            )
        client.force_login(world.nina)
        questionnaire = client.get(f"{QUESTIONNAIRE}/{form}").json()
        found = client.get(QUESTIONNAIRE, {"_count": 100}).json()
        patient = {"patient": world.alice.registry_id}
        responses = client.get(URL, patient).json()
        observations = client.get(URL.replace("QuestionnaireResponse", "Observation"), patient)
        resources = [questionnaire, found, responses, observations.json()]
        for resource in resources:
            check_r4b(resource)
            assert all(FHIR_ID.match(i) for i in _ids(resource)), _ids(resource)
        assert questionnaire["id"] == "participantUmoraleUquestionnaire"
        # Each id reads back as what it names.
        again = client.get(f"{QUESTIONNAIRE}/{questionnaire['id']}").json()
        assert again == questionnaire
        (qr,) = [e["resource"] for e in responses["entry"]]
        assert qr["id"] == f"{CheckinResponse.objects.get().pk}-participantUmoraleUquestionnaire"
        assert client.get(f"{URL}/{qr['id']}").json() == qr
        (obs,) = [e["resource"] for e in observations.json()["entry"]]
        assert obs["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{qr['id']}"}]
        # A system can answer it by the id it was given.
        client.force_login(world.alice.user)
        body = {**qr, "questionnaire": f"Questionnaire/{qr['id'].split('-', 1)[1]}"}
        body.pop("id")
        assert post(client, URL, body, key="again").status_code == 201
        return resources
    finally:
        forget_imported()


def test_redcap_forms_get_valid_fhir_ids_that_read_back(client, world):
    assert len(_redcap_form_answered(client, world)) == 4


def test_what_a_redcap_form_answered_emits_is_valid_for_the_official_r4_json_schema(client, world):
    require_schema()
    resources = _redcap_form_answered(client, world)
    assert [r4_schema_errors(r) for r in resources] == [[]] * len(resources)


@pytest.mark.parametrize(
    ("name", "header"),
    [("redcapr-longitudinal.csv", False), ("redcapr-validation-types-1.csv", False),
     ("rarelink-cdm-2.0.5.csv", True)],
)  # fmt: skip
def test_every_form_of_a_real_redcap_dictionary_is_served_schema_valid(
    client, world, tmp_path, name, header
):
    from tests.interop.test_redcap_dictionary import without_uploads

    path, _rows = without_uploads(tmp_path, name, header=header)
    try:
        out = StringIO()
        call_command("redcap", "import", str(path), stdout=out)
        client.force_login(world.nina)
        bundle = client.get(QUESTIONNAIRE, {"_count": 100}).json()
        imported = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] not in SHIPPED]
        assert imported, out.getvalue()
        for questionnaire in imported:
            assert r4_schema_errors(questionnaire) == [], questionnaire["id"]
            again = client.get(f"{QUESTIONNAIRE}/{questionnaire['id']}")
            assert again.json() == questionnaire
    finally:
        forget_imported()
