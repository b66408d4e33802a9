from django.urls import include, path

from coproduce.research import data_views, panel_views, views

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
    path("outcomes/", data_views.outcome_page, name="outcomes"),
    path("exports/", data_views.export_page, name="exports"),
    path("exports/dictionary.csv", data_views.dictionary, name="dictionary"),
    path("exports/request/", data_views.export_request, name="export-request"),
    path("exports/<int:pk>/decide/", data_views.export_decide, name="export-decide"),
    path("exports/<int:pk>/download/", data_views.export_download, name="export-download"),
    path("quality/", data_views.quality_page, name="quality"),
    path("quality/run/", data_views.quality_run, name="quality-run"),
    path("quality/<int:pk>/answer/", data_views.query_answer, name="query-answer"),
    path("panel/", panel_views.panel_page, name="panel"),
    path("panel/materials/<int:pk>/", panel_views.material_page, name="material"),
    path("panel/surveys/<int:pk>/send/", panel_views.send_survey, name="panel-send"),
    path("incentives/", panel_views.ledger_page, name="incentives"),
    path("incentives/batches/", panel_views.batch_action, name="batch-create"),
    path(
        "incentives/batches/<int:pk>/<slug:action>/",
        panel_views.batch_action,
        name="batch-action",
    ),
    path("incentives/batches/<int:pk>/payments.csv", panel_views.batch_csv, name="batch-csv"),
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
    path("panel/", panel_views.panel_home, name="panel-home"),
    path("panel/surveys/<int:pk>/", panel_views.survey_for_member, name="panel-survey-member"),
    path("panel/survey/<str:token>/", panel_views.survey_by_link, name="panel-survey"),
    path("me/incentives/", panel_views.my_incentives, name="my-incentives"),
]
