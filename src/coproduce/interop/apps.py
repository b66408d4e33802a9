from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "coproduce.interop"
    label = "interop"
    verbose_name = "JSON and FHIR API"
