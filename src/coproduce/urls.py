from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from coproduce.research.urls import public_patterns as research_public

urlpatterns = [
    # One way in: the admin's own login form would skip our throttling and second factor.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("", include("coproduce.web.urls")),
    path("", include("coproduce.accounts.urls")),
    path("oidc/", include("coproduce.accounts.oidc_urls")),
    path("", include("coproduce.audit.urls")),
    path("", include("coproduce.checkins.urls")),
    path("", include("coproduce.safetynet.urls")),
    path("", include("coproduce.visits.urls")),
    path("", include("coproduce.visits.patient_urls")),
    path("", include("coproduce.careplans.urls")),
    path("", include("coproduce.registry.urls")),
    path("", include("coproduce.instruments.urls")),
    path("", include("coproduce.interop.urls")),
    path("", include("coproduce.research.urls")),
    path("", include(research_public)),
]

# A check-in the database lost before its submit ran answers 503 with crisis help, not 500.
handler500 = "coproduce.web.errors.server_error"
