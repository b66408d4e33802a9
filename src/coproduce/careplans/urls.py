from django.urls import path

from coproduce.careplans import entry_views, views

app_name = "careplans"

PLAN = "patients/<str:registry_id>/plan/"

urlpatterns = [
    path(PLAN, views.care_plan, name="plan"),
    path(PLAN + "taper/new/", views.new_taper, name="taper-new"),
    path(PLAN + "calendar/", views.calendar, name="calendar"),
    path(PLAN + "taper/ask/", views.ask, name="ask"),
    path(
        PLAN + "taper/requests/<int:request_id>/answer/",
        views.answer,
        name="answer",
    ),
    path(PLAN + "taper/next/", views.next_step, name="next-step"),
    path(PLAN + "medications/new/", entry_views.medication_new, name="medication-new"),
    path(
        PLAN + "medications/<int:medication_id>/change/",
        entry_views.medication_change,
        name="medication-change",
    ),
    path(
        PLAN + "medications/<int:medication_id>/stop/",
        entry_views.medication_stop,
        name="medication-stop",
    ),
    path(PLAN + "medications/check/", entry_views.medication_check, name="medication-check"),
    path(PLAN + "goals/new/", entry_views.goal_new, name="goal-new"),
    path(PLAN + "goals/<int:goal_id>/edit/", entry_views.goal_edit, name="goal-edit"),
    path(PLAN + "actions/new/", entry_views.action_new, name="action-new"),
    path(PLAN + "actions/<int:action_id>/done/", entry_views.action_done, name="action-done"),
]
