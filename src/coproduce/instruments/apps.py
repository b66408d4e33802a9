from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "coproduce.instruments"
    label = "instruments"
    verbose_name = "Instruments"
