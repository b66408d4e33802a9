from django.apps import AppConfig


class SafetynetConfig(AppConfig):
    name = "coproduce.safetynet"
    label = "safetynet"
    verbose_name = "Safety net"
