from django.urls import path

from coproduce.careplans import views

app_name = "careplans"

urlpatterns = [
    path("patients/<str:registry_id>/plan/", views.care_plan, name="plan"),
    path("patients/<str:registry_id>/plan/taper/new/", views.new_taper, name="taper-new"),
    path("patients/<str:registry_id>/plan/calendar/", views.calendar, name="calendar"),
    path("patients/<str:registry_id>/plan/taper/ask/", views.ask, name="ask"),
    path(
        "patients/<str:registry_id>/plan/taper/requests/<int:request_id>/answer/",
        views.answer,
        name="answer",
    ),
    path("patients/<str:registry_id>/plan/taper/next/", views.next_step, name="next-step"),
]
