from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "coproduce.platform"
    label = "platform"
    verbose_name = "Platform"
