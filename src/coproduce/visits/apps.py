from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "coproduce.visits"
    label = "visits"
    verbose_name = "Visits"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.visits.events import EVENTS

        register_kinds(EVENTS)
