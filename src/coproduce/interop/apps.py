from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "coproduce.interop"
    label = "interop"
    verbose_name = "JSON and FHIR API"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.interop.events import EVENTS

        register_kinds(EVENTS)
