"""REDCap data dictionaries in and out, with real dictionaries (REDCapR, RareLink)."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coproduce.instruments.library import forget_imported, get_definition
from coproduce.instruments.models import InstrumentVersion
from coproduce.instruments.scoring import score
from coproduce.interop.redcap import HEADER
from tests.instruments.conftest import REDCAP

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget():
    yield
    forget_imported()


def rows_of(name):
    return list(csv.reader(open(REDCAP / name, encoding="utf-8-sig")))


def write(tmp_path, rows, name="dictionary.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


def without_uploads(tmp_path, name, *, header=False):
    """A real dictionary without the fields coproduce refuses (file, sql, ontology look-ups)."""
    rows = rows_of(name)
    if header:
        rows[0] = HEADER
    keep = [rows[0]] + [
        r for r in rows[1:]
        if r[3] not in ("file", "sql") and not (r[3] == "text" and r[5].startswith("BIOPORTAL"))
    ]  # fmt: skip
    return write(tmp_path, keep, name), keep


def redcap(*args):
    out = StringIO()
    call_command("redcap", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def exported(instrument_id):
    return list(csv.reader(io.StringIO(redcap("export", instrument_id))))


def test_it_makes_one_instrument_per_form_named_by_the_form():
    out = redcap("import", REDCAP / "redcapr-survey.csv")
    forms = ["prescreening_survey", "participant_info_survey", "participant_morale_questionnaire",
             "completion_data"]  # fmt: skip
    assert out.splitlines() == [
        f"imported {f} version 1: {f.replace('_', ' ').capitalize()}" for f in forms
    ]
    items = get_definition("prescreening_survey").item_map
    assert "participant_id" not in items  # the record id names records, it is not asked
    assert (items["dob"].type, items["has_diabetes"].type) == ("date", "boolean")
    assert (items["consent"].type, items["consent"].repeats) == ("choice", True)
    info = get_definition("participant_info_survey").item_map
    assert (info["height"].type, info["height"].min_value, info["height"].max_value) == (
        "decimal", 130, 215,
    )  # fmt: skip
    assert (info["weight"].type, info["address"].type) == ("integer", "text")
    assert [o.display for o in info["sex"].options] == ["Female", "Male"]


def test_it_checks_text_validations_on_the_answers():
    redcap("import", REDCAP / "redcapr-survey.csv")
    with pytest.raises(ValueError, match="needs a date"):
        score("prescreening_survey", None, {"dob": "31/12/1990"})
    with pytest.raises(ValueError, match="from 35 to 200; got 250"):
        score("participant_info_survey", None, {"weight": 250})


@pytest.mark.parametrize(
    ("name", "problems"),
    [
        ("redcapr-simple.csv", [
            "field 'mugshot' (file): file uploads cannot be answered in a check-in",
        ]),
        ("redcapr-validation-types-1.csv", [
            "field 'f_file_upload' (file): file uploads cannot be answered in a check-in",
            "field 'f_signature' (file): signatures cannot be given in a check-in",
            "field 'f_sql' (sql): dynamic SQL fields need the REDCap database",
        ]),
        ("rarelink-cdm-2.0.5.csv", [
            "not a REDCap data dictionary: column 1 is '1', REDCap's header says "
            "'Variable / Field Name'",
        ]),
    ],
)  # fmt: skip
def test_it_refuses_a_file_naming_every_field_it_cannot_translate(name, problems):
    with pytest.raises(CommandError) as caught:
        redcap("import", REDCAP / name)
    assert str(caught.value).split("\n  - ")[1:] == problems
    assert InstrumentVersion.objects.count() == 0


def test_it_names_every_ontology_look_up_of_rarelink(tmp_path):
    rows = rows_of("rarelink-cdm-2.0.5.csv")
    rows[0] = HEADER
    with pytest.raises(CommandError) as caught:
        redcap("import", write(tmp_path, rows))
    problems = str(caught.value).split("\n  - ")[1:]
    assert problems[0] == (
        "field 'snomedct_184305005' (text): ontology look-ups (BIOPORTAL:ICD10CM) need REDCap"
    )
    assert "... and 19 more" in problems[-1]  # 31 look-ups: 12 shown, 19 counted
    assert InstrumentVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "header"),
    [("redcapr-survey.csv", False), ("redcapr-longitudinal.csv", False),
     ("redcapr-validation-types-1.csv", False), ("rarelink-cdm-2.0.5.csv", True)],
)  # fmt: skip
def test_it_round_trips_the_same_variables_in_the_same_order(tmp_path, name, header):
    path, original = without_uploads(tmp_path, name, header=header)
    redcap("import", path)
    forms = list(dict.fromkeys(r[1] for r in original[1:]))
    back = [original[0]]
    for n, form in enumerate(forms):
        rows = exported(form)
        assert rows[0] == HEADER
        assert rows[1][0] == original[1][0]  # every form carries the record id field
        back += rows[1:] if n == 0 else rows[2:]
    assert [r[0] for r in back] == [r[0] for r in original]
    assert back[1:] == [r + [""] * (18 - len(r)) for r in original[1:]][: len(back) - 1]


def test_it_makes_a_new_version_when_the_same_form_comes_again():
    redcap("import", REDCAP / "redcapr-survey.csv")
    out = redcap("import", REDCAP / "redcapr-survey.csv")
    assert "imported completion_data version 2" in out
    with pytest.raises(CommandError, match="already stored and versions never change"):
        redcap("import", REDCAP / "redcapr-survey.csv", "--version", "1")


def test_it_refuses_a_form_named_like_a_shipped_instrument(tmp_path):
    rows = rows_of("redcapr-survey.csv")
    for row in rows[1:]:
        if row[1] == "completion_data":
            row[1] = "phq9"
    with pytest.raises(CommandError, match="form 'phq9' has the id of a shipped instrument"):
        redcap("import", write(tmp_path, rows))
    assert InstrumentVersion.objects.count() == 0


def test_it_translates_calculations_branching_sliders_and_matrix_fields(tmp_path):
    path, _ = without_uploads(tmp_path, "redcapr-longitudinal.csv")
    redcap("import", path)
    demographics = get_definition("demographics")
    # bmi: round(([weight]*10000)/(([height])^(2)),1); 70 kg, 175 cm -> 22.857 -> 22.9
    result = score("demographics", None, {"weight": 70, "height": 175})
    assert result.item_values["bmi"] == 22.9
    given_birth = demographics.item("given_birth")  # [sex] = "0"
    assert demographics.is_enabled(given_birth, {"sex": "0"})
    assert not demographics.is_enabled(given_birth, {"sex": "1"})
    children = demographics.item("num_children")  # [sex] = "0" and [given_birth] = "1"
    assert demographics.is_enabled(children, {"sex": "0", "given_birth": True})
    assert not demographics.is_enabled(children, {"sex": "0", "given_birth": False})
    mood = demographics.item("specify_mood")
    assert (mood.type, mood.min_value, mood.max_value) == ("integer", 0, 100)
    gym = demographics.item("gym")  # matrix group weekly_schedule: one checkbox question each
    assert gym.repeats and [o.code for o in gym.options][:2] == ["0", "1"]


def test_it_translates_rarelinks_logic_with_or_and_not_equal(tmp_path):
    path, _ = without_uploads(tmp_path, "rarelink-cdm-2.0.5.csv", header=True)
    redcap("import", path)
    genetic = get_definition("rarelink_6_1_genetic_findings")
    # [loinc_81290_9] <> '' or [loinc_48004_6] <> '' or [loinc_48005_3] <> ''
    validation = genetic.item("variant_validation")
    assert validation.enable_behavior == "any"
    assert not genetic.is_enabled(validation, {})
    assert genetic.is_enabled(validation, {"loinc_48004_6": "NM_000492.3:c.1521_1523del"})
    labels = [i.text for i in genetic.items]
    assert not any("<" in t and ">" in t for t in labels)  # HTML made plain text


def test_it_exports_a_shipped_instrument_with_redcap_names_and_the_mapping():
    rows = exported("phq9")
    assert rows[0] == HEADER
    assert rows[1][:5] == ["record_id", "phq9", "", "text", "Record ID"]
    names = [r[0] for r in rows[2:]]
    assert names[:2] == ["phq9_1", "phq9_2"]
    assert all(n[0].isalpha() and n.replace("_", "").isalnum() for n in names)
    assert rows[2][17] == "coproduce linkId phq9-1"
    assert rows[2][3] == "radio" and rows[2][5].startswith("LA6568-5, Not at all")
