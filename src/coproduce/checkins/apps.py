from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "coproduce.checkins"
    label = "checkins"
    verbose_name = "Check-ins"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.checkins.events import EVENTS

        register_kinds(EVENTS)

        from coproduce.platform.tasks import every_hour, every_minute

        every_minute(
            "coproduce.checkins.tasks.dispatch_due", "coproduce.checkins.tasks.recheck_safetynet"
        )
        every_hour("coproduce.checkins.tasks.plan_invitations")

        from coproduce.checkins.outbox import hold_previsit_retry
        from coproduce.checkins.tokens import scrub_links
        from coproduce.platform.delivery import hold_retries, scrub_after_sending

        scrub_after_sending(scrub_links)
        hold_retries(hold_previsit_retry)  # a failed pre-visit message waits for 08:00
