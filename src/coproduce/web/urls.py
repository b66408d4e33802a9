from django.urls import path

from coproduce.web import language, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", language.set_language, name="set-language"),
    path("research/", views.research_home, name="research-home"),
    path("registry/", views.registry_home, name="registry-home"),
    path("healthz", views.healthz, name="healthz"),
    # The patient's and the family's home pages.
    path("me/", views.my_home, name="my-home"),
    path("family/", views.family_home, name="family-home"),
]
