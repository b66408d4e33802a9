from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "coproduce.registry"
    label = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.registry.events import EVENTS

        register_kinds(EVENTS)

        from coproduce.platform.tasks import every_hour

        every_hour("coproduce.registry.tasks.refresh_registry_rollups")
