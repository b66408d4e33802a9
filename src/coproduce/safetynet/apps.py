from django.apps import AppConfig


class SafetynetConfig(AppConfig):
    name = "coproduce.safetynet"
    label = "safetynet"
    verbose_name = "Safety net"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.safetynet.events import EVENTS

        register_kinds(EVENTS)

        from coproduce.platform.tasks import every_hour, every_minute
        from coproduce.safetynet import tasks

        every_minute(tasks.escalate_overdue)
        every_hour(tasks.find_silent_patients)
