"""Values every page template needs."""

from __future__ import annotations

from django.conf import settings

from coproduce.accounts import mfa
from coproduce.web.worker import notifications_delayed


def site_chrome(request) -> dict:
    # Staff still owing a second factor see no menu: every link would lead back to it.
    return {
        "demo_mode": settings.MODE == "demo",
        "mfa_pending": mfa.second_factor_pending(request),
        # Called by the template only where it is shown (staff pages): one query then.
        "notifications_delayed": lambda: _notifications_delayed(request),
    }


def _notifications_delayed(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff_role:
        return False
    return notifications_delayed()
