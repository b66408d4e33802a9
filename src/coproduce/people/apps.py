from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "coproduce.people"
    label = "people"
    verbose_name = "People and access"

    def ready(self) -> None:
        from coproduce.people import auth  # noqa: F401  (connects the login audit signals)
