from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "coproduce.research"
    label = "research"
    verbose_name = "Research"

    def ready(self) -> None:
        from coproduce.people.access import extend_visibility
        from coproduce.research import events  # noqa: F401  (registers audit event kinds)
        from coproduce.research.access import study_patients_for

        # Coordinators see their studies' consented participants (people.access).
        extend_visibility(study_patients_for)
