from django.urls import include, path

from coproduce.research import views

app_name = "research"

study_patterns = [
    path("", views.study_home, name="study"),
    path("screening/", views.screening_log, name="screening"),
    path("screening/screen/", views.screen, name="screen"),
    path("participants/<int:pk>/", views.participant_detail, name="participant"),
    path(
        "participants/<int:pk>/<slug:action>/",
        views.participant_action,
        name="participant-action",
    ),
    path("consort/", views.consort_page, name="consort"),
    path("allocations/", views.allocation_list, name="allocations"),
    path("consent/<int:pk>/sign-off/", views.sign_off, name="sign-off"),
]

urlpatterns = [
    path("research/studies/", views.study_list, name="studies"),
    path("research/studies/<slug:slug>/", include(study_patterns)),
]

# Patient-facing links live outside the namespace, next to check-in links (/c/...).
public_patterns = [
    path("consent/<str:token>/", views.consent_sign, name="consent-sign"),
    path("consent/<str:token>/signed/", views.consent_done, name="consent-done"),
    path("consent/<str:token>/copy.pdf", views.consent_copy, name="consent-copy"),
]
