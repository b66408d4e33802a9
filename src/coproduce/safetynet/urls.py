from django.urls import path

from coproduce.safetynet import views

urlpatterns = [
    path("alerts/", views.alert_queue, name="alert-queue"),
    path("alerts/acknowledge/", views.acknowledge_selected, name="alert-acknowledge-selected"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", views.resolve, name="alert-resolve"),
    path("alerts/<int:pk>/snooze/", views.snooze, name="alert-snooze"),
    path("alerts/<int:pk>/reassign/", views.reassign, name="alert-reassign"),
    path("sites/<int:pk>/test-alert/", views.site_test_alert, name="site-test-alert"),
]
