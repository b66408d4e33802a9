"""The care team's list and the patient page, at the project's top level (no namespace): every
role's home and many links name them `team-patients` and `patient-detail`."""

from django.urls import path

from coproduce.visits import patient_views

urlpatterns = [
    path("team/patients/", patient_views.team_patients, name="team-patients"),
    path("patients/<str:registry_id>/", patient_views.patient_detail, name="patient-detail"),
]
