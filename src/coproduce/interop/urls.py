from django.urls import path

from coproduce.interop.api import api

urlpatterns = [path("api/v1/", api.urls)]
