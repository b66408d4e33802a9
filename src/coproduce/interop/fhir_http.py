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
from django.views.decorators.csrf import csrf_exempt

from coproduce.interop.fhir import issue, operation_outcome

BASE_PATH = "/fhir/R4/"
OLD_BASE_PATH = "/api/v1/fhir/"
FHIR_JSON = "application/fhir+json"
# OAuth and SMART require plain JSON here, errors included (RFC 6749 section 5.2).
OAUTH_PATHS = (BASE_PATH + "auth/token", BASE_PATH + ".well-known/smart-configuration")
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


def is_fhir_path(path: str) -> bool:
    """Whether `path` is the FHIR server's (its base with or without the slash, or the old
    base), where every answer is FHIR JSON."""
    return path.startswith((BASE_PATH, OLD_BASE_PATH)) or path in (
        BASE_PATH.rstrip("/"),
        OLD_BASE_PATH.rstrip("/"),
    )


def _detail(response: HttpResponse) -> str | None:
    """The message of a `{"detail": ...}` refusal (platform.http.machine_refusal), if any."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        detail = json.loads(response.content).get("detail")
    except (ValueError, AttributeError):
        return None
    return detail if isinstance(detail, str) else None


class FhirErrorMiddleware:
    """Rewrite any error under /fhir/R4/ that is not already FHIR JSON into an
    OperationOutcome (keeping the message of a `{"detail": ...}` refusal from the login
    middlewares), and answer HEAD wherever GET is answered (HTTP requires it), with GET's
    headers and no body. The OAuth routes keep their plain JSON errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "HEAD" and is_fhir_path(request.path):
            request.method = "GET"
            response = self(request)
            if not response.streaming:
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return response
        response = self.get_response(request)
        if not is_fhir_path(request.path) or response.status_code < 400:
            return response
        kind = response.get("Content-Type", "")
        if kind.startswith(FHIR_JSON) or (
            request.path in OAUTH_PATHS and kind.startswith("application/json")
        ):
            return response
        headers = {
            name: response[name]
            for name in ("Allow", "WWW-Authenticate")
            if response.has_header(name)
        }
        if response.status_code == 401 and "WWW-Authenticate" not in headers:
            headers["WWW-Authenticate"] = 'Bearer realm="coproduce"'
        message = _detail(response) or _default_message(response.status_code)
        return outcome_response(message, response.status_code, **headers)


def unknown_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Whatever the FHIR API has no route for: 404 with an OperationOutcome."""
    return outcome_response(_default_message(404), 404)


def _moved(request: HttpRequest, target: str) -> HttpResponse:
    """308 to `target` (the method and the body are kept), with the query string; the body
    is an OperationOutcome saying where, never Django's HTML."""
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    response = HttpResponsePermanentRedirect(target, preserve_request=True)
    response["Content-Type"] = FHIR_JSON
    response.content = json.dumps(
        operation_outcome(
            [
                issue(
                    _("This FHIR server's base is %(base)s; ask %(target)s.")
                    % {"base": BASE_PATH, "target": target},
                    code="informational",
                    severity="information",
                )
            ]
        )
    ).encode()
    return response


# Exempt from CSRF: it changes nothing and only says where to go. The route it sends to still
# checks the CSRF token of a session (a bearer token needs none), so a forged POST gains
# nothing by passing through here.
@csrf_exempt
def old_route(request: HttpRequest, rest: str) -> HttpResponse:
    """/api/v1/fhir/... moved to /fhir/R4/...: 308 keeps the method and the body."""
    return _moved(request, BASE_PATH + rest)


@csrf_exempt
def base_without_slash(request: HttpRequest) -> HttpResponse:
    """/fhir/R4 and /api/v1/fhir: 308 to the base, /fhir/R4/ (Django's own would be a 301
    HTML page, and would turn a POST into a GET)."""
    return _moved(request, BASE_PATH)


def json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None
