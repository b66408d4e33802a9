from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "coproduce.interop"
    label = "interop"
    verbose_name = "JSON and FHIR API"

    def ready(self) -> None:
        from coproduce.interop import events  # noqa: F401  (registers audit event kinds)
