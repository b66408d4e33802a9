"""Importing real FHIR Questionnaires written by others (see the shared README)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coproduce.instruments.importer import ImportRefused
from coproduce.instruments.models import InstrumentVersion
from coproduce.instruments.scoring import score
from coproduce.instruments.services import import_questionnaire
from tests.instruments.conftest import EXTERNAL

pytestmark = pytest.mark.django_db


def run_import(name, *args):
    out, err = StringIO(), StringIO()
    call_command("instruments", "import", str(EXTERNAL / name), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


VALID = [
    ("lforms-R4-argonaut-phq9-ish.json", "argonaut-phq9"),
    ("lforms-R5-argonaut-phq9-ish.json", "argonaut-phq9-r5"),
    ("lforms-R4-apgar-with-itemWeight-variable.json", "apgar"),
    ("lforms-R4-answerOption-valueCoding.open-choice.R4.json", "lforms-open-choice"),
    ("lforms-R4-answerOption-valueDate.R4.json", "lforms-date-options"),
    ("lforms-R4-answerOption-valueInteger.R4.json", "lforms-integer-options"),
    ("lforms-R4-answerOption-valueString.R4.json", "lforms-string-options"),
    ("lforms-R4-answerOption-valueTime.R4.json", "lforms-time-options"),
    ("lforms-R4-calculatedExpression-on-boolean-item.json", "lforms-calc-boolean"),
    ("lforms-R4-q-with-readonly-repeating-items.json", "lforms-readonly"),
    ("lforms-R4-q-with-unit-in-quantity-and-units.json", "lforms-quantity"),
    ("rkonfhir-GAD-7.json", "rk-gad7"),
    ("sdc-profile-example-PHQ9.json", "sdc-phq9"),
    ("sdc-profile-example-hunger-vital-signs.json", "sdc-hunger"),
    ("sdc-profile-example-weight-height.json", "sdc-weight-height"),
]
# lforms files whose Duration values are JSON strings ("value": "1"): refused as they are
# (test_import_checks.py); these tests read them with that one value written as a number.
WITH_STRING_DURATIONS = [
    "lforms-R4-phq9-with-the-weight-function.json",
    "lforms-R4-phq9.json",
    "lforms-R4-weightHeightQuestionnaire.json",
]


def durations_as_numbers(name):
    data = json.loads((EXTERNAL / name).read_text())

    def fix(node):
        if isinstance(node, dict):
            duration = node.get("valueDuration")
            if isinstance(duration, dict) and isinstance(duration.get("value"), str):
                duration["value"] = float(duration["value"])
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    fix(data)
    return data


@pytest.mark.parametrize(("name", "instrument_id"), VALID)
def test_it_imports_every_valid_shared_questionnaire(name, instrument_id):
    out, _ = run_import(name, "--id", instrument_id)
    assert out.startswith(f"imported {instrument_id} version ")
    assert InstrumentVersion.objects.get(instrument_id=instrument_id).kind == "imported"


def test_it_refuses_non_integer_answer_integers_and_stores_nothing():
    with pytest.raises(CommandError) as caught:
        run_import("lforms-R4-enableWhen-test.json")
    message = str(caught.value)
    assert "refused, nothing stored" in message
    assert "item 'Q9c-eq-B': enableWhen answerInteger '2022-09' is not an integer" in message
    assert InstrumentVersion.objects.count() == 0


def test_it_accepts_r4_expression_names_with_underscores_with_a_warning():
    row = import_questionnaire(durations_as_numbers("lforms-R4-phq9.json"), instrument_id="lf-phq9")
    assert "q1_value" in row.warnings[0] and "R4 'id' pattern" in row.warnings[0]


def test_it_drops_a_narrative_without_div_and_stores_what_validates():
    _, err = run_import("lforms-R4-argonaut-phq9-ish.json")
    assert "narrative" in err
    row = InstrumentVersion.objects.get(instrument_id="questionnaire-example-phq9")
    assert "text" not in row.questionnaire
    from fhir.resources.R4B.questionnaire import Questionnaire

    Questionnaire.model_validate(row.questionnaire)


def test_it_scores_the_lforms_phq9_from_its_ordinal_values():
    data = durations_as_numbers("lforms-R4-phq9-with-the-weight-function.json")
    import_questionnaire(data, instrument_id="lforms-phq9-weight")
    codes = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    items = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
             "44253-3", "44260-8"]  # fmt: skip
    answers = {f"/{code}": codes[n % 4] for n, code in enumerate(items)}
    result = score("lforms-phq9-weight", None, answers)
    assert (result.score, result.complete) == (0 + 1 + 2 + 3 + 0 + 1 + 2 + 3 + 0, True)


def test_it_scores_contained_value_set_weights_and_withholds_incomplete_scores():
    run_import("rkonfhir-GAD-7.json", "--id", "rk-gad7")
    link_ids = [i["linkId"] for i in json.loads((EXTERNAL / "rkonfhir-GAD-7.json").read_text())
                ["item"][0]["item"]]  # fmt: skip
    full = score("rk-gad7", None, dict.fromkeys(link_ids, "Several-days"))
    assert (full.score, full.complete) == (7, True)
    partial = score("rk-gad7", None, {link_ids[0]: 3})
    assert partial.score is None and "No missing-item rule" in partial.reason


def test_it_scores_the_apgar_from_item_weights():
    run_import("lforms-R4-apgar-with-itemWeight-variable.json", "--id", "apgar")
    answers = {"32406-1": "LA6724-4", "32407-9": 2, "32409-5": 1, "32408-7": 1, "32410-3": 0}
    assert score("apgar", None, answers).score == 6


def test_it_leaves_a_questionnaire_without_weights_or_answers_unscored():
    import_questionnaire(durations_as_numbers("lforms-R4-weightHeightQuestionnaire.json"),
                         instrument_id="weight-height")  # fmt: skip
    result = score("weight-height", None, {})
    assert result.score is None


def test_it_converts_raw_scores_with_a_raw_to_t_sidecar(tmp_path):
    sidecar = tmp_path / "t.json"
    sidecar.write_text(json.dumps({"raw_to_t": {str(r): 40 + r for r in range(11)}}))
    run_import("lforms-R4-apgar-with-itemWeight-variable.json", "--id", "apgar-t",
               "--scoring", str(sidecar))  # fmt: skip
    answers = {"32406-1": 2, "32407-9": 2, "32409-5": 2, "32408-7": 2, "32410-3": 2}
    result = score("apgar-t", None, answers)
    assert (result.score, result.derived) == (50, {"total_item": "9272-6", "raw": 10})


def test_it_refuses_a_second_import_of_the_same_version():
    run_import("rkonfhir-GAD-7.json", "--id", "rk-gad7")
    with pytest.raises(CommandError, match="already stored and versions never change"):
        run_import("rkonfhir-GAD-7.json", "--id", "rk-gad7")
    out, _ = run_import("rkonfhir-GAD-7.json", "--id", "rk-gad7", "--version", "2")
    assert "version 2" in out


def test_it_refuses_to_shadow_a_shipped_instrument():
    with pytest.raises(CommandError, match="'phq9' is a shipped instrument"):
        run_import("rkonfhir-GAD-7.json", "--id", "phq9")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": "banana"}, "status 'banana' is not one of"),
        ({"item": [{"linkId": "a", "type": "integer"}, {"linkId": "a", "type": "integer"}]},
         "linkId 'a' is used by 2 items"),
        ({"item": [{"linkId": "a", "type": "choice", "answerOption": [
            {"valueCoding": {"code": "x"}, "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                 "valueDecimal": "high"}]}]}]}, "weight 'high' is not a number"),
        ({"item": [{"linkId": "a", "type": "choice"}]}, "needs answerOption or answerValueSet"),
        ({"status": None}, "status is required"),
        ({"resourceType": "Patient"}, "not 'Questionnaire'"),
    ],
)  # fmt: skip
def test_it_refuses_what_the_fhir_models_let_through(change, problem):
    data = {"resourceType": "Questionnaire", "status": "draft", "id": "mine",
            "item": [{"linkId": "a", "type": "integer"}], **change}  # fmt: skip
    with pytest.raises(ImportRefused, match=problem):
        import_questionnaire(data)
    assert InstrumentVersion.objects.count() == 0


def test_it_scores_the_sdc_phq9_example_by_its_own_fhirpath_total():
    """SDC's PHQ-9 example: total = %resource.answers().value.ordinal().sum()."""
    import_questionnaire(json.loads((EXTERNAL / "sdc-profile-example-PHQ9.json").read_text()),
                         instrument_id="sdc-phq9")  # fmt: skip
    codes = ["Not-at-all", "Several-days", "More than half the days", "Nearly every day"]
    answers = {f"H1/T1/Q{n}": codes[(n - 1) % 4] for n in range(1, 10)}
    result = score("sdc-phq9", None, answers)
    assert (result.score, result.derived["total_item"]) == (
        0 + 1 + 2 + 3 + 0 + 1 + 2 + 3 + 0,
        "H1/TS",
    )
    partial = score("sdc-phq9", None, {"H1/T1/Q1": "Nearly every day"})
    assert partial.score is None and "Not answered: H1/T1/Q2" in partial.reason


def test_it_scores_the_lforms_phq9_by_its_variables():
    """lforms' PHQ-9: each item's ordinalValue read by a FHIRPath variable, then summed."""
    import_questionnaire(durations_as_numbers("lforms-R4-phq9.json"), instrument_id="lf-phq9")
    codes = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    items = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
             "44253-3", "44260-8"]  # fmt: skip
    answers = {f"/{code}": codes[3] for code in items}
    assert score("lf-phq9", None, answers).score == 27
