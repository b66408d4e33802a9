from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "coproduce.visits"
    label = "visits"
    verbose_name = "Visits"
