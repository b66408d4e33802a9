from django.urls import path, re_path

from coproduce.interop.api import api
from coproduce.interop.fhir_api import fhir_api
from coproduce.interop.fhir_http import base_without_slash, old_route, unknown_route
from coproduce.interop.oauth import token_endpoint
from coproduce.interop.record_views import record_fhir, record_pdf

urlpatterns = [
    re_path(r"^api/v1/fhir/(?P<rest>.*)$", old_route),
    re_path(r"^(?:api/v1/fhir|fhir/R4)$", base_without_slash),
    path("api/v1/", api.urls),
    path("fhir/R4/auth/token", token_endpoint, name="fhir-token"),
    # The patient's own record to take away (the home pages link to it).
    path("record/<str:registry_id>/record.pdf", record_pdf, name="record-pdf"),
    path("record/<str:registry_id>/record.json", record_fhir, name="record-fhir"),
    path("fhir/R4/", fhir_api.urls),
    re_path(r"^fhir/R4/(?P<rest>.*)$", unknown_route),
]
