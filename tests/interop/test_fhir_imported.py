"""Imported instruments are answered through the FHIR QuestionnaireResponse create too."""

import json

from coproduce.checkins.models import CheckinResponse
from coproduce.instruments.library import forget_imported
from coproduce.instruments.services import import_questionnaire
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM
from tests.instruments.conftest import EXTERNAL
from tests.interop.conftest import post
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
