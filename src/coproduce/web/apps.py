from django.apps import AppConfig
from django.conf import settings


class WebConfig(AppConfig):
    name = "coproduce.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        if settings.COPRODUCE_TODAY:
            from coproduce.platform import clock

            clock.travel_to(settings.COPRODUCE_TODAY, since=clock.shared_anchor())
