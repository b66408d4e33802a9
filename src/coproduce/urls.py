from django.contrib import admin
from django.urls import include, path

from coproduce.research.urls import public_patterns as research_public

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("coproduce.web.urls")),
    path("", include("coproduce.people.urls")),
    path("", include("coproduce.audit.urls")),
    path("", include("coproduce.checkins.urls")),
    path("", include("coproduce.safetynet.urls")),
    path("", include("coproduce.visits.urls")),
    path("", include("coproduce.careplans.urls")),
    path("", include("coproduce.registry.urls")),
    path("", include("coproduce.instruments.urls")),
    path("", include("coproduce.interop.urls")),
    path("", include("coproduce.research.urls")),
    path("", include(research_public)),
]
