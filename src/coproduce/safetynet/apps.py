from django.apps import AppConfig


class SafetynetConfig(AppConfig):
    name = "coproduce.safetynet"
    label = "safetynet"
    verbose_name = "Safety net"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.safetynet.events import EVENTS

        register_kinds(EVENTS)
