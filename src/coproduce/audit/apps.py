from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coproduce.audit"
    label = "audit"
    verbose_name = "Audit log"
