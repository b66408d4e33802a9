"""Values every page template needs."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from coproduce.accounts import mfa
from coproduce.platform.worker import notifications_delayed
from coproduce.safetynet.reach import unreached_banner


def site_chrome(request) -> dict:
    user = getattr(request, "user", None)
    # Staff still owing a second factor see no menu: every link would lead back to it. The
    # banner of unreached urgent alerts is counted only if the page shows it, and once.
    return {
        "demo_mode": settings.MODE == "demo",
        "mfa_pending": mfa.second_factor_pending(request),
        # Called by the template only where it is shown (staff pages): one query then.
        "notifications_delayed": lambda: _notifications_delayed(request),
        "unreached_alerts": cache(lambda: unreached_banner(user)),
    }


def _notifications_delayed(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff_role:
        return False
    return notifications_delayed()
