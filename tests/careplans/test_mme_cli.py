"""The ``mme`` management command."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(tmp_path, items, *args):
    path = tmp_path / "meds.json"
    path.write_text(items if isinstance(items, str) else json.dumps(items))
    out = StringIO()
    call_command("mme", "--input", str(path), *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_per_medication_mme_and_the_total(tmp_path):
    result = run(
        tmp_path,
        [
            {"drug": "oxycodone", "strength": 10, "unit": "mg", "per_day": 3},
            {"drug": "fentanyl", "strength": 75, "unit": "mcg/hr"},
        ],
    )
    assert result["table"]["id"] == "cdc-2022"
    assert "MMWR" in result["table"]["source"]
    assert result["medications"][0] == {
        "drug": "oxycodone",
        "strength": 10,
        "unit": "mg",
        "per_day": 3,
        "factor": 1.5,
        "mme": 45,
        "note": "",
    }
    assert result["medications"][1]["mme"] == 180
    assert result["medications"][1]["per_day"] is None
    assert result["total_mme"] == 225
    assert "not a conversion between opioids" in result["notes"][0]


def test_it_lists_buprenorphine_with_a_null_mme(tmp_path):
    result = run(tmp_path, [{"drug": "buprenorphine", "strength": 8, "unit": "mg", "per_day": 2}])
    assert result["medications"][0]["mme"] is None
    assert result["medications"][0]["factor"] is None
    assert "partial agonist" in result["medications"][0]["note"]
    assert result["total_mme"] == 0


def test_it_uses_the_table_asked_for(tmp_path):
    result = run(
        tmp_path,
        [{"drug": "methadone", "strength": 10, "unit": "mg", "per_day": 3}],
        "--table",
        "cdc-analytic-legacy",
    )
    assert result["table"]["id"] == "cdc-analytic-legacy"
    assert result["medications"][0]["factor"] == 8
    assert result["total_mme"] == 240


def test_it_keeps_decimal_doses_exact(tmp_path):
    result = run(tmp_path, [{"drug": "hydromorphone", "strength": 2.5, "unit": "mg", "per_day": 3}])
    assert result["total_mme"] == 37.5


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [
                {"drug": "morphine", "strength": 10, "unit": "mg", "per_day": 2},
                {"drug": "oxycodone", "strength": 10, "unit": "mg"},
            ],
            r"item 1, field 'per_day': per_day is missing",
        ),
        (
            [{"drug": "fentanyl", "strength": 25, "unit": "mg", "per_day": 1}],
            r"item 0, field 'unit': unit mg does not fit fentanyl transdermal",
        ),
        (
            [{"drug": "oxycodone", "strength": -10, "unit": "mg", "per_day": 2}],
            r"item 0, field 'strength': strength must be greater than zero",
        ),
        (
            [{"drug": "percocet", "strength": 5, "unit": "mg", "per_day": 2}],
            r"item 0, field 'drug': unknown drug",
        ),
        ([{"strength": 5, "unit": "mg", "per_day": 2}], r"item 0, field 'drug': missing"),
        (
            [{"drug": "morphine", "strength": 5, "unit": "mg", "per_day": 2, "route": "iv"}],
            r"item 0, field 'route': unknown field",
        ),
        (["morphine"], r"item 0: must be an object"),
        ({"drug": "morphine"}, r"must hold a JSON list"),
        ([], r"no medications"),
        ("{not json", r"not valid JSON"),
    ],
)
def test_it_rejects_bad_input_naming_the_item_and_field(tmp_path, items, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, items)


def test_it_rejects_an_unknown_table(tmp_path):
    with pytest.raises(CommandError, match="unknown MME factor table 'nope'"):
        run(
            tmp_path,
            [{"drug": "morphine", "strength": 5, "unit": "mg", "per_day": 2}],
            "--table",
            "nope",
        )


def test_it_reports_a_missing_input_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read --input"):
        call_command("mme", "--input", str(tmp_path / "absent.json"), stdout=StringIO())
