from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "coproduce.careplans"
    label = "careplans"
    verbose_name = "Care plans"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.careplans.events import EVENTS

        register_kinds(EVENTS)
