from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "coproduce.research"
    label = "research"
    verbose_name = "Research"

    def ready(self) -> None:
        from coproduce.audit.events import register_kinds
        from coproduce.people.access import extend_visibility
        from coproduce.research.access import study_patients_for
        from coproduce.research.events import EVENTS

        register_kinds(EVENTS)

        # Coordinators see their studies' consented participants (people.access).
        extend_visibility(study_patients_for)

        from coproduce.platform.tasks import every_hour

        every_hour("coproduce.research.tasks.accrue_incentives")
