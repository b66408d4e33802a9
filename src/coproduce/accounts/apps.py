from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "coproduce.accounts"
    label = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        from coproduce.accounts import signals  # noqa: F401  (connects the audit signals)
        from coproduce.accounts.events import EVENTS
        from coproduce.audit.events import register_kinds

        register_kinds(EVENTS)
