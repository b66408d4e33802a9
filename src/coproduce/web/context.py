"""Values every page template needs."""

from __future__ import annotations

from django.conf import settings

from coproduce.accounts import mfa


def site_chrome(request) -> dict:
    # Staff still owing a second factor see no menu: every link would lead back to it.
    return {
        "demo_mode": settings.MODE == "demo",
        "mfa_pending": mfa.second_factor_pending(request),
    }
