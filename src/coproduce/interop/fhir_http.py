"""HTTP around the FHIR server: its media type, OperationOutcome errors, the old routes.

Every answer under /fhir/R4/ is FHIR JSON; an error is an OperationOutcome whichever layer
produced it (the API's own handlers, Django's URL resolver for an unknown route, a 405 for
a method a route does not take, a server error page). The token endpoint and the SMART
configuration answer `application/json`, as OAuth and SMART require.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.utils.translation import gettext as _

from coproduce.interop.fhir import issue, operation_outcome

BASE_PATH = "/fhir/R4/"
OLD_BASE_PATH = "/api/v1/fhir/"
FHIR_JSON = "application/fhir+json"
_CODES = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    500: "exception",
}


def fhir_response(
    resource: dict[str, Any], status: int = 200, *, pretty: bool = False, **headers: str
) -> JsonResponse:
    return JsonResponse(
        resource,
        status=status,
        content_type=FHIR_JSON,
        headers=dict(headers) or None,
        json_dumps_params={"indent": 2} if pretty else None,
    )


def outcome_response(
    diagnostics: str, status: int, code: str | None = None, **headers: str
) -> JsonResponse:
    outcome = operation_outcome([issue(diagnostics, code=code or _CODES.get(status, "invalid"))])
    response = fhir_response(outcome, status)
    for name, value in headers.items():
        response[name] = value
    return response


def _default_message(status: int) -> str:
    if status == 404:
        return _("No such resource or route on this FHIR server (see /fhir/R4/metadata).")
    if status == 405:
        return _("This method is not supported on this route.")
    if status >= 500:
        return _("The server could not answer; nothing was changed by this request.")
    return _("The request could not be answered.")


class FhirErrorMiddleware:
    """Rewrite any error under /fhir/R4/ that is not already JSON into an OperationOutcome,
    and answer HEAD wherever GET is answered (HTTP requires it), with GET's headers and no
    body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "HEAD" and request.path.startswith(BASE_PATH):
            request.method = "GET"
            response = self(request)
            if not response.streaming:
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return response
        response = self.get_response(request)
        if not request.path.startswith(BASE_PATH) or response.status_code < 400:
            return response
        kind = response.get("Content-Type", "")
        if kind.startswith((FHIR_JSON, "application/json")):
            return response
        headers = {"Allow": response["Allow"]} if response.has_header("Allow") else {}
        return outcome_response(
            _default_message(response.status_code), response.status_code, **headers
        )


def unknown_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Whatever the FHIR API has no route for: 404 with an OperationOutcome."""
    return outcome_response(_default_message(404), 404)


def old_route(request: HttpRequest, rest: str) -> HttpResponse:
    """/api/v1/fhir/... moved to /fhir/R4/...: 308 keeps the method and the body."""
    target = BASE_PATH + rest
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(target, preserve_request=True)


def json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None
