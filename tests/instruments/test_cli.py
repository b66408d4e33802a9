"""The score, index and instruments commands, through call_command and the console script."""

import csv
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.instruments.conftest import phq9


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_json(tmp_path, rows):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(rows))
    return str(path)


def test_it_prints_one_json_object_per_response(tmp_path):
    path = write_json(
        tmp_path,
        [
            {"_id": "a1", **phq9(2, 3, 1, 2, 0, 1, 2, 1, 0)},
            phq9(1, 1, None, 1, 1, 1, 1, 1, 1),
        ],
    )
    first, second = lines(run("score", "phq9", "--input", path))
    assert first["_id"] == "a1"
    assert (first["score"], first["band"], first["complete"]) == (12, "moderate", True)
    assert first["flags"] == ["phq2_positive"]
    assert (second["score"], second["complete"]) == (None, False)
    assert "phq9-3" in second["reason"]
    assert second["flags"] == ["phq9_item9_positive"]


def test_it_reads_csv_with_one_column_per_link_id_and_writes_csv(tmp_path):
    path = tmp_path / "legacy.csv"
    header = [f"phq9-{n}" for n in range(1, 10)]
    path.write_text(",".join(header) + "\n" + "1,1,1,1,1,1,1,1,0\n" + "3,3,,3,3,3,3,3,3\n")
    out = run("score", "phq9", "--input", str(path), "--format", "csv", "--version", "1.0")
    rows = list(csv.DictReader(StringIO(out)))
    assert rows[0]["score"] == "8" and rows[0]["band"] == "mild" and rows[0]["phq8"] == "8"
    assert (
        rows[1]["complete"] == "false" and rows[1]["flags"] == "phq9_item9_positive;phq2_positive"
    )


def test_it_refuses_a_file_with_bad_rows_naming_row_and_item(tmp_path):
    path = write_json(tmp_path, [phq9(1, 1), phq9(1, 7)])
    with pytest.raises(CommandError) as caught:
        run("score", "phq9", "--input", path)
    assert "1 of 2 responses are invalid" in str(caught.value)
    assert "row 2: phq9-2:" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('{"phq9-1": 1}', "JSON list of objects")],
)
def test_it_refuses_unreadable_input(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("score", "phq9", "--input", str(path))


@pytest.mark.django_db
def test_it_refuses_a_missing_file_and_unknown_instrument(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("score", "phq9", "--input", str(tmp_path / "nope.json"))
    with pytest.raises(CommandError, match="unknown instrument 'phq99'"):
        run("score", "phq99", "--input", write_json(tmp_path, []))


def test_it_computes_indices_with_the_index_command(tmp_path):
    path = write_json(tmp_path, [{"tjc28": 4, "sjc28": 3, "esr": 30, "gh": 50}, {"tjc28": 1}])
    first, second = lines(run("index", "das28-esr", "--input", path))
    assert (first["score"], first["band"]) == (4.69, "moderate")
    assert second["complete"] is False and "esr" in second["reason"]


def test_it_keeps_indices_and_questionnaires_apart(tmp_path):
    path = write_json(tmp_path, [])
    with pytest.raises(CommandError, match="use `coproduce index das28-esr"):
        run("score", "das28-esr", "--input", path)
    with pytest.raises(CommandError, match="not a clinician index"):
        run("index", "phq9", "--input", path)


@pytest.mark.django_db
def test_it_lists_and_shows_instruments():
    listing = run("instruments", "list")
    assert "phq9" in listing and "das28-esr" in listing
    shown = json.loads(run("instruments", "show", "gad7", "--version", "1.0"))
    assert shown["resourceType"] == "Questionnaire" and shown["id"] == "gad7"
    with pytest.raises(CommandError, match="unknown instrument"):
        run("instruments", "show", "nope")


def test_the_console_script_scores_and_exits_non_zero_on_bad_input(tmp_path):
    script = Path(sys.executable).with_name("coproduce")
    env = {**os.environ, "COPRODUCE_MODE": "test"}
    good = write_json(tmp_path, [phq9(0, 0, 0, 0, 0, 0, 0, 0, 1)])
    done = subprocess.run(
        [str(script), "score", "phq9", "--input", good],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["flags"] == ["phq9_item9_positive"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"phq9-1": "often"}]))
    done = subprocess.run(
        [str(script), "score", "phq9", "--input", str(bad)],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "row 1: phq9-1" in done.stderr
