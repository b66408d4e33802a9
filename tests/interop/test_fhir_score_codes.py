"""Each Observation's LOINC code comes from its instrument's definition where it gives one."""

import json

import pytest

from coproduce.instruments.library import forget_imported, list_definitions
from coproduce.instruments.services import import_questionnaire
from coproduce.interop.fhir_resources.observation import score_loinc
from tests.instruments.conftest import EXTERNAL
from tests.interop.conftest import submit
from tests.interop.schema import check_r4b
from tests.interop.test_fhir_resources import _search

LOINC = "http://loinc.org"


def _loinc(observation: dict) -> list[str]:
    return [c["code"] for c in observation["code"]["coding"] if c["system"] == LOINC]


def test_the_pain_scale_is_coded_with_the_loinc_code_its_definition_gives(client, world):
    """pain-nrs ships LOINC 72514-3 (Pain severity - 0-10 verbal numeric rating [Score] -
    Reported) on its one question, whose answer is the score."""
    submit(world.alice, "pain-1", {"pain-nrs": {"pain-nrs": 6}})
    client.force_login(world.nina)
    (entry,) = _search(client, "Observation", patient=world.alice.registry_id, code="72514-3")[
        "entry"
    ]
    observation = entry["resource"]
    check_r4b(observation)
    assert _loinc(observation) == ["72514-3"] and observation["valueQuantity"]["value"] == 6
    assert (
        _search(client, "Observation", patient=world.alice.registry_id, code=f"{LOINC}|72514-3")[
            "total"
        ]
        == 1
    )


def test_only_instruments_whose_definition_or_the_phr_ig_gives_a_code_have_one(db):
    coded = {d.id: score_loinc(d.id, d.version) for d in list_definitions()}
    assert {i: c[0] for i, c in coded.items() if c} == {
        "phq9": "44261-6",
        "gad7": "70274-6",
        "pain-nrs": "72514-3",
    }
    # PEG's three answers are averaged: no item's code is the score's, and it has no LOINC.
    assert coded["peg"] is None


@pytest.mark.django_db
def test_an_imported_form_is_coded_by_its_own_total_item(client, world):
    """The SDC weight-height example computes its BMI item (LOINC 39156-5): that is the score."""
    data = json.loads((EXTERNAL / "sdc-profile-example-weight-height.json").read_text())
    import_questionnaire(data, instrument_id="sdc-wh")
    try:
        answers = {"sdc-wh": {"/29463-7": 70, "/8302-2": 175}}
        submit(world.alice, "bmi-1", answers)
        client.force_login(world.nina)
        found = _search(client, "Observation", patient=world.alice.registry_id, code="39156-5")
        (entry,) = found["entry"]
        assert _loinc(entry["resource"]) == ["39156-5"]
    finally:
        forget_imported()
