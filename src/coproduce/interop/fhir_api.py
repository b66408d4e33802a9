"""The FHIR R4 server at /fhir/R4/: routes made from the registry, auth, errors.

Callers are a logged-in browser (Django's session, CSRF on POST) or a system with a bearer
token from the token endpoint (SMART Backend Services), which then acts as its staff user
within its scopes. Every error is an OperationOutcome.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth
from pydantic import ConfigDict

from coproduce.checkins.services import NotStored, SubmitResult
from coproduce.interop import fhir
from coproduce.interop.clients import ALGORITHMS, token_url
from coproduce.interop.fhir_appointments import write_appointment
from coproduce.interop.fhir_http import BASE_PATH, fhir_response, json_body, outcome_response
from coproduce.interop.fhir_registry import RESOURCES
from coproduce.interop.fhir_resources.access import Caller
from coproduce.interop.fhir_search import (
    RESULT_PARAMS,
    NotAcceptable,
    ResourceType,
    capability_statement,
    check_format,
    parse_query,
    search_bundle,
)
from coproduce.interop.oauth import SystemToken
from coproduce.interop.scopes import permits
from coproduce.interop.services import submit_questionnaire_response
from coproduce.platform import clock

fhir_api = NinjaAPI(
    title="coproduce FHIR R4",
    version="R4",
    description="FHIR R4 server; what it offers is in GET /fhir/R4/metadata. See docs/api.md.",
    urls_namespace="fhir",
    auth=[SystemToken(), django_auth],
    docs_url=None,
    openapi_url=None,
)


class Resource(Schema):
    """Any FHIR resource (the body is the resource's JSON)."""

    model_config = ConfigDict(extra="allow")
    resourceType: str


class ResponseItemIn(Schema):
    model_config = ConfigDict(extra="allow")
    linkId: str
    text: str | None = None
    answer: list[dict[str, Any]] = []
    item: list[ResponseItemIn] = []


class QuestionnaireResponseIn(Schema):
    """A QuestionnaireResponse; the full resource is then checked with the R4B model."""

    model_config = ConfigDict(extra="allow")
    resourceType: Literal["QuestionnaireResponse"]
    questionnaire: str
    status: str
    subject: dict[str, Any]
    item: list[ResponseItemIn] = []


OUTCOMES = {400: Resource, 401: Resource, 403: Resource, 404: Resource}


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(BASE_PATH)


def caller_of(request: HttpRequest, resource: str, perm: str) -> Caller:
    """The caller, after checking a token's scopes allow `perm` (c, r or s) on `resource`."""
    token = getattr(request, "api_token", None)
    if token is None:
        return Caller(request.user)  # type: ignore[arg-type]
    if not permits(token.scope, resource, perm):
        raise HttpError(
            403,
            _("The token's scope (%(scope)s) does not allow this on %(type)s.")
            % {"scope": token.scope, "type": resource},
        )
    return Caller(token.client.user, token.client.name)


# Errors ------------------------------------------------------------------------------------


@fhir_api.exception_handler(fhir.FhirInvalid)
def fhir_invalid(request: HttpRequest, exc: fhir.FhirInvalid) -> JsonResponse:
    status = 406 if isinstance(exc, NotAcceptable) else 400
    return fhir_response(fhir.operation_outcome(exc.issues), status)


@fhir_api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> JsonResponse:
    # Forbidden and missing answer alike, so registry IDs cannot be probed.
    return outcome_response(_("No such resource."), 404, "not-found")


@fhir_api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
    return outcome_response(
        _("Log in, or send a bearer token from %(url)s.") % {"url": token_url()},
        401,
        "login",
        **{"WWW-Authenticate": 'Bearer realm="coproduce"'},
    )


@fhir_api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    # Also a missing CSRF token (403) and a body that is not JSON.
    return outcome_response(str(exc), exc.status_code)


@fhir_api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    body = json_body(request)
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


# Discovery (no authentication) ---------------------------------------------------------------


@fhir_api.get("/metadata", auth=None, response={200: Resource}, summary="CapabilityStatement")
def metadata(request):
    """What this server offers: every resource, interaction and search parameter."""
    pretty = _refuse_unknown(request, ())
    statement = capability_statement(
        RESOURCES, base_url(request), token_url(), clock.now().isoformat(timespec="seconds")
    )
    return fhir_response(statement, pretty=pretty)


@fhir_api.get(
    "/.well-known/smart-configuration",
    auth=None,
    response={200: dict[str, Any]},
    summary="SMART configuration",
)
def smart_configuration(request):
    """Where and how a system gets a token (SMART App Launch 2, Backend Services)."""
    return JsonResponse(
        {
            "token_endpoint": token_url(),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            "scopes_supported": _scopes_supported(),
            "capabilities": [
                "client-confidential-asymmetric",
                "client-confidential-symmetric",
                "permission-v1",
                "permission-v2",
            ],
        }
    )


def _scopes_supported() -> list[str]:
    """Every scope that lets a client do something here: read and search on every type, and
    the writes of the types that take them (v1 `write` and v2 letters alike)."""
    writes = [
        (r.name, ("c" if r.create else "") + ("u" if r.update else ""))
        for r in RESOURCES
        if r.create or r.update
    ]
    return [
        "system/*.read",
        "system/*.rs",
        *(f"system/{r.name}.read" for r in RESOURCES),
        *(f"system/{r.name}.rs" for r in RESOURCES),
        *(f"system/{name}.write" for name, _letters in writes),
        *(f"system/{name}.{letters}" for name, letters in writes),
    ]


# Read and search, one pair of routes per registered resource type ---------------------------


def _refuse_unknown(request: HttpRequest, allowed: tuple[str, ...]) -> bool:
    unknown = [k for k in request.GET if k not in (*RESULT_PARAMS, *allowed)]
    if unknown:
        raise fhir.FhirInvalid(
            [
                fhir.issue(
                    _("Parameter %(name)s is not supported here.") % {"name": unknown[0]},
                    code="not-supported",
                )
            ]
        )
    return check_format(request.GET)


def _add_routes(resource: ResourceType) -> None:
    name = resource.name

    def read(request, resource_id: str):
        pretty = _refuse_unknown(request, resource.read_params)
        caller = caller_of(request, name, "r")
        options = {p: request.GET[p] for p in resource.read_params if p in request.GET}
        return fhir_response(resource.read(caller, resource_id, **options), pretty=pretty)

    fhir_api.get(
        f"/{name}/{{resource_id}}",
        response={200: Resource, **OUTCOMES},
        summary=f"Read a {name}",
        operation_id=f"read_{name}",
        tags=[name],
    )(read)

    if resource.search is None:
        return
    search_type = resource.search

    def search(request):
        query = parse_query(resource, request.GET)
        caller = caller_of(request, name, "s")
        page = search_type(caller, query)
        return fhir_response(search_bundle(query, page, base_url(request)), pretty=query.pretty)

    fhir_api.get(
        f"/{name}",
        response={200: Resource, **OUTCOMES},
        summary=f"Search {name}",
        description=", ".join(p.name for p in resource.params),
        operation_id=f"search_{name}",
        tags=[name],
    )(search)


for _resource in RESOURCES:
    _add_routes(_resource)


# Create --------------------------------------------------------------------------------------


@fhir_api.post(
    "/QuestionnaireResponse",
    response={200: Resource, 201: Resource, **OUTCOMES, 503: Resource},
    summary="Submit a QuestionnaireResponse",
    tags=["QuestionnaireResponse"],
)
def create_questionnaire_response(
    request,
    payload: QuestionnaireResponseIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
):
    """Store a completed response as a check-in; repeat-safe by Idempotency-Key."""
    caller = caller_of(request, "QuestionnaireResponse", "c")
    token = getattr(request, "api_token", None)
    result, instrument_id = submit_questionnaire_response(
        caller.user,
        payload.model_dump(exclude_unset=True),
        idempotency_key,
        client=token.client if token is not None else None,
    )
    if isinstance(result, NotStored):
        return not_stored_outcome(result)
    return _created(request, result, instrument_id)


def not_stored_outcome(outcome: NotStored) -> JsonResponse:
    """503: nothing was stored; crisis help (from the answers alone) travels with the error."""
    issues = [fhir.issue(outcome.detail, code="transient")]
    if outcome.crisis:
        issues.append(fhir.issue(outcome.crisis_resources, code="informational"))
    body = fhir.operation_outcome(issues)
    if outcome.crisis:
        body["extension"] = [
            {"url": fhir.CRISIS_RESOURCES_URL, "valueString": outcome.crisis_resources}
        ]
    response = fhir_response(body, 503)
    response["Retry-After"] = "60"
    return response


class AppointmentIn(Schema):
    """An Appointment; the full resource is then checked with the R4B model."""

    model_config = ConfigDict(extra="allow")
    resourceType: Literal["Appointment"]


def _appointment_written(request: HttpRequest, resource: dict, verb: str) -> JsonResponse:
    location = f"{base_url(request)}Appointment/{resource['id']}"
    return fhir_response(resource, 201 if verb == "created" else 200, Location=location)


@fhir_api.post(
    "/Appointment",
    response={200: Resource, 201: Resource, **OUTCOMES},
    summary="Create an Appointment (from the clinic's scheduling system)",
    tags=["Appointment"],
)
def create_appointment(request, payload: AppointmentIn):
    """Store an appointment by its id in the scheduling system; repeat-safe."""
    caller = caller_of(request, "Appointment", "c")
    with transaction.atomic():
        resource, verb = write_appointment(caller, json_body(request))
    return _appointment_written(request, resource, verb)


@fhir_api.put(
    "/Appointment/{resource_id}",
    response={200: Resource, 201: Resource, **OUTCOMES},
    summary="Update (or create) an Appointment by the scheduling system's id",
    tags=["Appointment"],
)
def update_appointment(request, resource_id: str, payload: AppointmentIn):
    """Change an appointment (time, status, clinician); a moved visit re-plans its check-in."""
    caller = caller_of(request, "Appointment", "u")
    with transaction.atomic():
        resource, verb = write_appointment(caller, json_body(request), resource_id)
    return _appointment_written(request, resource, verb)


def _created(request: HttpRequest, result: SubmitResult, instrument_id: str) -> JsonResponse:
    response = result.response
    if instrument_id not in response.answers:  # the key was first used for another check-in
        instrument_id = next(iter(response.answers))
    score = next((s for s in result.scores if s.instrument_id == instrument_id), None)
    qr = fhir.questionnaire_response(response, instrument_id, score)
    # What the patient must see at once travels with the answer, as in the JSON API.
    qr.setdefault("extension", []).extend(
        {"url": fhir.PATIENT_MESSAGE_URL, "valueString": text}
        for m in result.messages
        for text in m.shown.values()
        if text
    )
    if result.crisis:
        qr["extension"].append(
            {"url": fhir.CRISIS_RESOURCES_URL, "valueString": result.crisis_text()}
        )
    location = f"{base_url(request)}QuestionnaireResponse/{qr['id']}"
    return fhir_response(qr, 201 if result.created else 200, Location=location)
