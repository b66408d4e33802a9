from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("coproduce.web.urls")),
    path("", include("coproduce.people.urls")),
    path("", include("coproduce.audit.urls")),
]
