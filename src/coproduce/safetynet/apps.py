from django.apps import AppConfig


def _escalate_failed_send(sender, **kwargs):
    # Imported when a send fails, not at start-up: a module that only raises alerts must not
    # load the rules engine (tests/safetynet/test_raise_alert.py).
    from coproduce.safetynet.reach import escalate_failed_send

    return escalate_failed_send(sender, **kwargs)


class SafetynetConfig(AppConfig):
    name = "coproduce.safetynet"
    label = "safetynet"
    verbose_name = "Safety net"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.safetynet.events import EVENTS

        register_kinds(EVENTS)

        from coproduce.platform.tasks import every_hour, every_minute

        every_minute("coproduce.safetynet.tasks.escalate_overdue")
        every_hour("coproduce.safetynet.tasks.find_silent_patients")

        from coproduce.platform.delivery import send_failed

        send_failed.connect(_escalate_failed_send, dispatch_uid="safetynet.escalate_failed_send")
