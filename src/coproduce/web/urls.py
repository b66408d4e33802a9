from django.urls import path

from coproduce.web import language, patients, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", language.set_language, name="set-language"),
    path("research/", views.research_home, name="research-home"),
    path("registry/", views.registry_home, name="registry-home"),
    path("healthz", views.healthz, name="healthz"),
    path("record/<str:registry_id>/record.pdf", views.record_pdf, name="record-pdf"),
    path("record/<str:registry_id>/record.json", views.record_fhir, name="record-fhir"),
    # The patient's and the family's home pages, the care team's list and the patient page.
    path("me/", patients.my_home, name="my-home"),
    path("family/", patients.family_home, name="family-home"),
    path("team/patients/", patients.team_patients, name="team-patients"),
    path("patients/<str:registry_id>/", patients.patient_detail, name="patient-detail"),
]
