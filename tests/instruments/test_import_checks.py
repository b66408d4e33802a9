"""What the R4B models let through, or wrongly refuse, is decided at import, by name."""

import copy
import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from coproduce.instruments.importer import ImportRefused, check_questionnaire
from coproduce.instruments.library import get_definition
from coproduce.instruments.models import InstrumentVersion
from coproduce.instruments.services import import_questionnaire
from tests.instruments.conftest import EXTERNAL
from tests.instruments.test_import import VALID

pytestmark = pytest.mark.django_db


def real(name):
    return json.loads((EXTERNAL / name).read_text())


def problems_of(data):
    with pytest.raises(ImportRefused) as caught:
        import_questionnaire(data, instrument_id="mine")
    assert InstrumentVersion.objects.count() == 0
    return caught.value.problems


@pytest.mark.parametrize(("name", "instrument_id"), VALID)
def test_it_serves_every_imported_questionnaire_back_valid(name, instrument_id):
    import_questionnaire(real(name), instrument_id=instrument_id)
    stored = get_definition(instrument_id).questionnaire
    Questionnaire.model_validate(stored)
    check_questionnaire(stored)  # and what is stored passes the import checks again


def test_it_refuses_an_unknown_modifier_extension_naming_it():
    problems = problems_of(real("lforms-R4-q-with-modifierExtension.json"))
    assert problems == [
        "root: modifierExtension 'http://example.org/fhir/StructureDefinition/anti-prescription'"
        " is not understood by coproduce, and FHIR forbids ignoring a modifier"
    ]


def test_it_refuses_a_modifier_extension_on_an_item():
    data = real("rkonfhir-GAD-7.json")
    data["item"][0]["modifierExtension"] = [{"url": "http://example.org/x", "valueBoolean": True}]
    (problem,) = problems_of(data)
    assert problem.startswith(f"item {data['item'][0]['linkId']!r}: modifierExtension")


def test_it_refuses_a_string_where_fhir_wants_a_boolean():
    data = real("rkonfhir-GAD-7.json")
    item = data["item"][0]
    item["required"] = "true"
    assert problems_of(data) == [
        f"item {item['linkId']!r}: required: 'true' is a JSON string; FHIR wants a boolean here"
    ]


def test_it_refuses_the_lforms_duration_given_as_a_string():
    problems = problems_of(real("lforms-R4-weightHeightQuestionnaire.json"))
    assert problems[0] == (
        "item '/29463-7': extension[0].valueDuration.value: '1' is a JSON string; "
        "FHIR wants a number here"
    )


@pytest.mark.parametrize(
    "name",
    [
        "lforms-STU3-weightHeightQuestionnaire.json",
        "lforms-STU3-answerOption-valueInteger.STU3.json",
    ],
)
def test_it_recognises_stu3_and_refuses_it_as_stu3(name):
    (problem,) = problems_of(real(name))
    assert problem.startswith("this is a FHIR STU3 Questionnaire, and coproduce imports R4")
    assert "uses 'option' (R4: answerOption)" in problem


def test_it_says_status_is_required_when_it_is_missing():
    data = real("rkonfhir-GAD-7.json")
    del data["status"]
    assert problems_of(data) == ["status is required (draft, active, retired or unknown)"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lforms-R4-bit-of-everything.json", ["Item-reference", "Item-attachment"]),
        ("sdc-test-all-data-types.json", ["id-attachment"]),
    ],
)
def test_it_refuses_attachment_and_reference_items_by_name(name, expected):
    problems = [p for p in problems_of(real(name)) if "items are not supported" in p]
    assert [p.split("'")[1] for p in problems] == expected


def test_it_refuses_a_choice_over_a_value_set_it_cannot_read():
    problems = problems_of(real("sdc-test-required-field.json"))
    assert problems == [
        "item 'radio': answerValueSet http://sqlonfhir-r4.azurewebsites.net/fhir/ValueSet/"
        "a015b6a1ac024dc19baec940be2c1695 is not in the file, and coproduce makes no calls to "
        "terminology servers; add it to contained, with its codes"
    ]


def test_it_accepts_a_primitive_extension_inside_an_extension():
    """R4 allows ``_valueString`` beside an extension's valueString (here a translation);
    the R4B models reject it, coproduce must not."""
    data = real("sdc-profile-example-weight-height.json")
    item = data["item"][0]
    translation = {"url": "http://hl7.org/fhir/StructureDefinition/translation", "extension": [
        {"url": "lang", "valueCode": "sv"}, {"url": "content", "valueString": "Vikt"}]}  # fmt: skip
    item.setdefault("extension", []).append({
        "url": "http://hl7.org/fhir/StructureDefinition/entryFormat",
        "valueString": "kg",
        "_valueString": {"extension": [translation]},
    })  # fmt: skip
    row = import_questionnaire(copy.deepcopy(data), instrument_id="weight-height-sv")
    assert row.questionnaire["item"][0]["extension"][-1]["_valueString"]["extension"][0] == (
        translation
    )


def test_it_still_checks_the_extensions_of_a_primitive_extension():
    data = real("rkonfhir-GAD-7.json")
    data["extension"] = [{"url": "http://example.org/a", "valueString": "x",
                          "_valueString": {"extension": [{"valueString": "no url"}]}}]  # fmt: skip
    (problem,) = problems_of(data)
    assert problem.startswith("extension[0]._valueString.extension[0]: ")


def test_it_refuses_fhirpath_that_does_not_parse():
    data = real("sdc-profile-example-weight-height.json")
    data["extension"][0]["valueExpression"]["expression"] = "%resource.item.where(linkId='x'"
    (problem,) = problems_of(data)
    assert problem.startswith("extension[0]: FHIRPath") and "does not parse" in problem


def test_it_refuses_options_of_another_type_than_the_item():
    data = real("lforms-R4-answerOption-valueInteger.R4.json")
    data["item"][0]["item"][0]["answerOption"][0] = {"valueString": "12"}
    (problem,) = problems_of(data)
    assert "options are valueInteger, not valueString" in problem
