"""Medications, goals, action plans and the patient-paced opioid taper.

Decisions and requests are history: a ``TaperDecision`` is never changed once written, and
a ``TaperRequest`` changes only once, when the team answers it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.careplans.choices import PlanStatus, RequestKind
from coproduce.careplans.mme import DEFAULT_TABLE
from coproduce.careplans.taper import Pace, shown_text
from coproduce.platform import clock
from coproduce.platform.stamps import UpdatedAt

if TYPE_CHECKING:
    from coproduce.safetynet.models import Alert


class Medication(UpdatedAt):
    """One medication line; a dose change stops the old line and starts a new one."""

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="medications"
    )
    drug = models.CharField(max_length=80)
    is_opioid = models.BooleanField(default=True)
    strength = models.DecimalField(max_digits=9, decimal_places=3)
    unit = models.CharField(max_length=8, default="mg", help_text="mg, or mcg/hr for patches")
    per_day = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, help_text="empty for patches"
    )
    factor_table = models.CharField(max_length=40, default=DEFAULT_TABLE)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    entered_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by_patient_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    #: Set (not stored) by ``services.record_medication``/``stop_medication`` when the
    #: change raised an unplanned-dose alert, so the page can say so.
    dose_alert: Alert | None = None

    class Meta:
        indexes = [models.Index(fields=["patient", "started_on"])]

    def __str__(self) -> str:
        return f"{self.drug} {self.strength.normalize():f} {self.unit}"

    def active_on(self, day) -> bool:
        return self.started_on <= day and (self.stopped_on is None or self.stopped_on > day)

    def as_line(self) -> dict:
        """The mapping ``mme.total_mme`` reads."""
        return {
            "drug": self.drug,
            "strength": self.strength,
            "unit": self.unit,
            "per_day": self.per_day,
        }


class GoalKind(models.TextChoices):
    PATIENT = "patient", _("The patient's goal")
    CLINICAL = "clinical", _("Clinical target")


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Working on it")
    ACHIEVED = "achieved", _("Achieved")
    SET_ASIDE = "set_aside", _("Set aside")


class Comparator(models.TextChoices):
    LE = "<=", _("at most")
    LT = "<", _("below")
    GE = ">=", _("at least")
    GT = ">", _("above")


class Goal(UpdatedAt):
    """A goal in the patient's own words, or a clinical target, optionally with a measure."""

    patient = models.ForeignKey("people.Patient", on_delete=models.CASCADE, related_name="goals")
    kind = models.CharField(max_length=10, choices=GoalKind.choices, default=GoalKind.PATIENT)
    text = models.CharField(max_length=300)
    instrument_id = models.CharField(max_length=40, blank=True)
    comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    set_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.text

    @property
    def target_label(self) -> str:
        if not self.instrument_id or self.target_value is None:
            return ""
        return f"{self.instrument_id.upper()} {self.comparator} {self.target_value.normalize():f}"


class Who(models.TextChoices):
    PATIENT = "patient", _("Patient")
    FAMILY = "family", _("Family")
    TEAM = "team", _("Care team")


class ActionItem(UpdatedAt):
    """One line of the action plan: who does what by when."""

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="action_items"
    )
    who = models.CharField(max_length=8, choices=Who.choices)
    what = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.get_who_display()}: {self.what}"


OPEN_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.PAUSED)


class TaperPlan(UpdatedAt):
    """A taper agreed at a visit: the starting regimen, the chosen pace and the target."""

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="taper_plans"
    )
    appointment = models.ForeignKey(
        "visits.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    agreed_with_patient = models.BooleanField(default=True)
    start_on = models.DateField()
    regimen = models.JSONField(
        help_text="drug, daily_amount, dose_unit, doses_per_day, unit, factor table"
    )
    start_mme = models.DecimalField(max_digits=9, decimal_places=2)
    pace_percent = models.DecimalField(max_digits=5, decimal_places=2)
    pace_every_weeks = models.PositiveSmallIntegerField(default=0)
    pace_every_months = models.PositiveSmallIntegerField(default=0)
    doses_per_day = models.PositiveSmallIntegerField(default=1)
    target_mme = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    end_reason = models.CharField(max_length=40, blank=True)
    lowest_comfortable_mme = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    lowest_comfortable_since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status__in=["active", "paused"]),
                name="one_open_taper_plan_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"taper for {self.patient_id} from {self.start_on}"

    @property
    def pace(self) -> Pace:
        return Pace(
            self.pace_percent,
            every_weeks=self.pace_every_weeks,
            every_months=self.pace_every_months,
        )


class StepStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    HELD = "held", _("Held")
    SLOWED = "slowed", _("Replaced by a slower step")
    STEPPED_BACK = "stepped_back", _("Stepped back up")


class TaperStep(models.Model):
    plan = models.ForeignKey(TaperPlan, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    target_mme = models.DecimalField(max_digits=9, decimal_places=2)
    daily_amount = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    doses = models.JSONField(default=list, blank=True, help_text="amount per dose, as strings")
    #: The note in English, for exports; ``note_texts`` keeps its key and parameters.
    note = models.CharField(max_length=200, blank=True)
    note_texts = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=14, choices=StepStatus.choices, default=StepStatus.PLANNED)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="taper_step_number_once")
        ]

    def __str__(self) -> str:
        return f"step {self.number} on {self.due_on}: {self.target_mme} MME/day"

    @property
    def note_shown(self) -> str:
        """The note in the reader's (active) language (the stored English without a key)."""
        if not self.note_texts.get("key"):
            return self.note
        return shown_text(self.note_texts["key"], self.note_texts.get("params"))


class Decision(models.TextChoices):
    GO_AHEAD = "go_ahead", _("Go ahead with the step")
    HOLD = "hold", _("Hold at the current dose")
    SLOW = "slow", _("Slow the pace")
    STEP_BACK_UP = "step_back_up", _("Step back up to the previous dose")


class TaperDecision(models.Model):
    """What was suggested before a step, what was decided, by whom and why. Never edited."""

    plan = models.ForeignKey(TaperPlan, on_delete=models.PROTECT, related_name="decisions")
    step = models.ForeignKey(
        TaperStep, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    suggestion_kind = models.CharField(max_length=14, choices=Decision.choices)
    suggestion_codes = models.JSONField(default=list)
    #: What the reasons' {placeholders} were filled with; with the codes, the reasons show in
    #: the reader's language. ``suggestion_reasons`` keeps the English, for exports.
    suggestion_params = models.JSONField(default=dict, blank=True)
    suggestion_reasons = models.JSONField(default=list)
    decision = models.CharField(max_length=14, choices=Decision.choices)
    decided_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    why = models.TextField(blank=True)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.decision} on plan {self.plan_id}"

    @property
    def reasons_shown(self) -> list[str]:
        """Why the suggestion was made, in the reader's (active) language.

        A row written before the parameters were kept shows its stored English for a reason
        that needs them.
        """
        from coproduce.careplans.suggestions import REASONS, reason_text

        stored = list(self.suggestion_reasons)
        shown = []
        for index, code in enumerate(self.suggestion_codes):
            fallback = stored[index] if index < len(stored) else ""
            needed = set(re.findall(r"\{(\w+)\}", REASONS[code][1])) if code in REASONS else {""}
            if not needed <= set(self.suggestion_params):
                shown.append(fallback)
            else:
                shown.append(reason_text(code, self.suggestion_params))
        return shown


class TaperRequest(models.Model):
    """A patient's (or parent's) request; changed only once, when the team answers."""

    plan = models.ForeignKey(TaperPlan, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(max_length=8, choices=RequestKind.choices)
    text = models.TextField(blank=True)
    requested_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)
    respond_by = models.DateField()
    alert = models.ForeignKey(
        "safetynet.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.kind} request on plan {self.plan_id}"
