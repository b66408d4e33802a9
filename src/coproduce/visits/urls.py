from django.urls import path

from coproduce.visits import measure_views, views

app_name = "visits"

urlpatterns = [
    path("patients/<str:registry_id>/dashboard/", views.dashboard, name="dashboard"),
    path(
        "patients/<str:registry_id>/dashboard/ask-to-be-seen/",
        views.request_visit,
        name="request-visit",
    ),
    path("patients/<str:registry_id>/measures/joints/", measure_views.joints, name="measures-ra"),
    path(
        "patients/<str:registry_id>/measures/<str:index>/", measure_views.ibd, name="measures-ibd"
    ),
    path("team/previsit/", views.previsit, name="previsit"),
    path("team/previsit/<int:pk>/remind/", views.remind, name="remind"),
    path("team/visit-requests/<int:pk>/", views.update_request, name="update-request"),
    path("visits/<int:appointment_id>/record/", views.record, name="record"),
    path("visits/<int:appointment_id>/summary/", views.record_summary, name="record-summary"),
    path("visits/<int:appointment_id>/summary/comment/", views.comment, name="record-comment"),
    path("team/collaborate/", views.collaborate_report, name="collaborate"),
]
