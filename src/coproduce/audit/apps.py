from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coproduce.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from coproduce.audit.events import EVENTS, register_kinds

        register_kinds(EVENTS)
