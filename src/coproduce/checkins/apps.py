from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "coproduce.checkins"
    label = "checkins"
    verbose_name = "Check-ins"

    def ready(self) -> None:
        from coproduce.checkins import events  # noqa: F401  (registers audit event kinds)
