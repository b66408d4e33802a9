"""The one JSON API (/api/v1/): session login with CSRF for browser clients.

Each domain brings its own router. The FHIR server is its own API at /fhir/R4/
(`interop.fhir_api`); its old home /api/v1/fhir/ answers 308 there (`interop.urls`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI, Swagger
from ninja.security import django_auth

from coproduce.checkins.api import router as checkins_router
from coproduce.interop.instruments import router as instruments_router
from coproduce.interop.patients import router as patients_router

PREFIX = "/api/v1/"

# django_auth is Django's session: a logged-in browser calls the API as it uses the site,
# and unsafe methods must carry the CSRF token (X-CSRFToken header).
api = NinjaAPI(
    title="coproduce API",
    version="1",
    description="Check-ins, patients, scores and instruments; FHIR R4 at /fhir/R4/. "
    "See docs/api.md.",
    urls_namespace="api",
    auth=django_auth,
    docs_decorator=login_required,
    # Swagger UI's default validatorUrl sends the schema's URL to validator.swagger.io for a
    # badge: the docs page asks nothing of any other origin.
    docs=Swagger(settings={"validatorUrl": None}),
)
api.add_router("/checkins/", checkins_router)
api.add_router("/patients/", patients_router)
api.add_router("/instruments/", instruments_router)
# Errors are ninja's own: {"detail": ...}; a patient one may not see is 404 like a missing one.
