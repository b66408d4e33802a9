"""The one JSON API (/api/v1/): session login with CSRF for browser clients.

Each domain brings its own router; FHIR endpoints answer errors as OperationOutcomes.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.security import django_auth

from coproduce.checkins.api import router as checkins_router
from coproduce.interop import fhir
from coproduce.interop.fhir_api import fhir_response
from coproduce.interop.fhir_api import router as fhir_router
from coproduce.interop.instruments import router as instruments_router
from coproduce.interop.patients import router as patients_router

PREFIX = "/api/v1/"

# django_auth is Django's session: a logged-in browser calls the API as it uses the site,
# and unsafe methods must carry the CSRF token (X-CSRFToken header).
api = NinjaAPI(
    title="coproduce API",
    version="1",
    description="Check-ins, patients, scores, instruments and FHIR R4. See docs/api.md.",
    urls_namespace="api",
    auth=django_auth,
    docs_decorator=login_required,
)
api.add_router("/checkins/", checkins_router)
api.add_router("/patients/", patients_router)
api.add_router("/instruments/", instruments_router)
api.add_router("/fhir/", fhir_router)


def _is_fhir(request: HttpRequest) -> bool:
    return request.path.startswith(PREFIX + "fhir/")


@api.exception_handler(fhir.FhirInvalid)
def fhir_invalid(request: HttpRequest, exc: fhir.FhirInvalid) -> HttpResponse:
    return fhir_response(fhir.operation_outcome(exc.issues), 400)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Forbidden and missing answer alike, so registry IDs cannot be probed.
    if _is_fhir(request):
        outcome = fhir.operation_outcome([fhir.issue("No such resource.", code="not-found")])
        return fhir_response(outcome, 404)
    return api.create_response(request, {"detail": "Not Found"}, status=404)


_OUTCOME_CODES = {401: "login", 403: "forbidden"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Also not logged in (401), a missing CSRF token (403) and a body that is not JSON.
    if not _is_fhir(request):
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
    code = _OUTCOME_CODES.get(exc.status_code, "invalid")
    outcome = fhir.operation_outcome([fhir.issue(str(exc), code=code)])
    return fhir_response(outcome, exc.status_code)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if not _is_fhir(request):
        return api.create_response(request, {"detail": exc.errors}, status=422)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    issues = []
    for error in exc.errors:
        source, *loc = error.get("loc") or ("body",)
        if source == "body":
            loc = loc[1:]  # drop the parameter name
            where = fhir.describe_loc(body, loc, error.get("msg", "invalid"))
            issues.append(fhir.issue(where, fhir.fhirpath("QuestionnaireResponse", loc)))
        else:
            name = ".".join(str(p) for p in loc)
            issues.append(fhir.issue(f"{source} {name}: {error.get('msg', 'invalid')}"))
    return fhir_response(fhir.operation_outcome(issues), 400)
