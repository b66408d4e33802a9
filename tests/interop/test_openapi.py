from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_schema_is_current(capsys):
    # If this fails, run `coproduce openapi` and commit docs/openapi.json.
    call_command("openapi", check=True, path=str(COMMITTED))
    assert "is current" in capsys.readouterr().out


def test_it_writes_a_stable_sorted_schema(tmp_path):
    target = tmp_path / "openapi.json"
    call_command("openapi", path=str(target))
    first = target.read_text()
    call_command("openapi", path=str(target))
    assert target.read_text() == first
    assert first.index('"components"') < first.index('"info"') < first.index('"paths"')
    assert '"/fhir/R4/QuestionnaireResponse"' in first


def test_the_check_fails_and_shows_the_drift(tmp_path):
    target = tmp_path / "openapi.json"
    call_command("openapi", path=str(target))
    target.write_text(target.read_text().replace('"coproduce API"', '"old title"'))
    with pytest.raises(CommandError, match="does not match the API") as raised:
        call_command("openapi", check=True, path=str(target))
    assert "old title" in str(raised.value)


def test_the_check_fails_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="coproduce openapi"):
        call_command("openapi", check=True, path=str(tmp_path / "missing.json"))


def test_no_public_field_is_named_with_a_trailing_underscore():
    # `validate_` was the Python name leaking out; the JSON field is `validate` (an alias).
    import json

    schema = json.loads(COMMITTED.read_text())
    names = [
        name
        for component in schema["components"]["schemas"].values()
        for name in component.get("properties", {})
    ]
    assert "validate" in names
    assert [n for n in names if n.endswith("_")] == []
