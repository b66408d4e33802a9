"""The states of a taper plan and the kinds of patient request, declared once.

Both the models (stored values, labels) and the pure taper logic (`careplans.taper`) use
these; this module imports nothing of coproduce so that either can import it.
"""

from django.db import models
from django.utils.translation import gettext_lazy


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped (staying at the current dose)"
    COMPLETED = "completed", "Completed"


class RequestKind(models.TextChoices):
    PAUSE = "pause", "Pause my taper"
    SLOW = "slow", "Go slower"
    STOP = "stop", "Stop tapering and stay at my current dose"
    RESUME = "resume", "Restart my taper"
    INCREASE = "increase", gettext_lazy("Go back up to a higher dose")
