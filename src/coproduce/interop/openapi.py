"""The committed OpenAPI schema (docs/openapi.json): rendered the same way every time."""

from __future__ import annotations

import json
from typing import Any

from ninja.responses import NinjaJSONEncoder

from coproduce.interop.api import PREFIX, api
from coproduce.interop.fhir_api import fhir_api
from coproduce.interop.fhir_http import BASE_PATH


def schema() -> dict[str, Any]:
    """The JSON API's OpenAPI document with the FHIR server's paths and schemas added."""
    document = dict(api.get_openapi_schema(path_prefix=PREFIX))
    fhir = fhir_api.get_openapi_schema(path_prefix=BASE_PATH)
    document["paths"] = {**document["paths"], **fhir["paths"]}
    components = dict(document.get("components") or {})
    for kind, entries in (fhir.get("components") or {}).items():
        components[kind] = {**components.get(kind, {}), **entries}
    document["components"] = components
    return document


def render_schema() -> str:
    """The API's OpenAPI document as JSON text with sorted keys and a final newline."""
    return (
        json.dumps(schema(), cls=NinjaJSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )
