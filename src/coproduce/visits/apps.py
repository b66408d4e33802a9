from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "coproduce.visits"
    label = "visits"
    verbose_name = "Visits"

    def ready(self) -> None:
        from coproduce.visits.events import register_all

        register_all()
