"""The committed OpenAPI schema (docs/openapi.json): rendered the same way every time."""

from __future__ import annotations

import json

from ninja.responses import NinjaJSONEncoder

from coproduce.interop.api import PREFIX, api


def render_schema() -> str:
    """The API's OpenAPI document as JSON text with sorted keys and a final newline."""
    schema = api.get_openapi_schema(path_prefix=PREFIX)
    return (
        json.dumps(schema, cls=NinjaJSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )
