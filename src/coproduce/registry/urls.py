from django.urls import path

from coproduce.registry import views

urlpatterns = [
    path("registry/measures/", views.measure_list, name="measure-list"),
    path("registry/measures/<slug:measure_id>/", views.measure_detail, name="measure-detail"),
    path(
        "registry/measures/<slug:measure_id>/funnel/", views.measure_funnel, name="measure-funnel"
    ),
    path("registry/population/", views.population_list, name="population-list"),
]
