"""Values every page template needs."""

from __future__ import annotations

from django.conf import settings


def site_chrome(request) -> dict:
    return {"demo_mode": settings.MODE == "demo"}
