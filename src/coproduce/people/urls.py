from django.urls import path

from coproduce.people import views

urlpatterns = [
    path("me/", views.my_home, name="my-home"),
    path("family/", views.family_home, name="family-home"),
    path("team/patients/", views.team_patients, name="team-patients"),
    path("patients/<str:registry_id>/", views.patient_detail, name="patient-detail"),
]
