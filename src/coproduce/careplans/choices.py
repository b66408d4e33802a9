"""The states of a taper plan and the kinds of patient request, declared once.

Both the models (stored values, labels) and the pure taper logic (`careplans.taper`) use
these; this module imports nothing of coproduce so that either can import it.
"""

from django.db import models
from django.utils.translation import gettext_lazy


class PlanStatus(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    PAUSED = "paused", gettext_lazy("Paused")
    STOPPED = "stopped", gettext_lazy("Stopped (staying at the current dose)")
    COMPLETED = "completed", gettext_lazy("Completed")


class RequestKind(models.TextChoices):
    PAUSE = "pause", gettext_lazy("Pause my taper")
    SLOW = "slow", gettext_lazy("Go slower")
    STOP = "stop", gettext_lazy("Stop tapering and stay at my current dose")
    RESUME = "resume", gettext_lazy("Restart my taper")
    INCREASE = "increase", gettext_lazy("Go back up to a higher dose")
