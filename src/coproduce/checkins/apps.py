from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "coproduce.checkins"
    label = "checkins"
    verbose_name = "Check-ins"
