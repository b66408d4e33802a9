from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "coproduce.registry"
    label = "registry"
    verbose_name = "Registry"
