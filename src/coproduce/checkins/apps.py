from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "coproduce.checkins"
    label = "checkins"
    verbose_name = "Check-ins"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.checkins.events import EVENTS

        register_kinds(EVENTS)
