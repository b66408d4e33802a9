from django.urls import path

from coproduce.checkins import views

urlpatterns = [
    path("c/done/", views.done, name="checkin-done"),
    path("c/<str:token>/", views.start, name="checkin-start"),
    path("c/<str:token>/<int:number>/", views.step, name="checkin-step"),
    path("c/<str:token>/send/", views.submit, name="checkin-submit"),
    path("checkins/", views.my_checkins, name="my-checkins"),
    path("checkins/<int:pk>/start/", views.begin, name="checkin-begin"),
]
