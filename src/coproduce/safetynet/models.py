"""Safety-net rules, the messages patients see and alerts to care teams."""

from __future__ import annotations

from django.db import models

from coproduce.platform import clock
from coproduce.platform.models import Priority


class Rule(models.Model):
    """A declarative rule loaded from a file in the repo (one row per rule version)."""

    rule_id = models.CharField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    ruleset = models.CharField(max_length=80, help_text="e.g. opioid-taper, ra-ibd-flare")
    title = models.CharField(max_length=200)
    definition = models.JSONField(help_text="condition and actions as loaded from the file")
    source_file = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule_id", "version"], name="rule_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class PatientMessage(models.Model):
    """What a patient is told at once after a check-in, in four parts."""

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="safety_messages"
    )
    response = models.ForeignKey(
        "checkins.CheckinResponse", on_delete=models.CASCADE, related_name="messages"
    )
    rule_id = models.CharField(max_length=80, blank=True)
    acknowledge = models.TextField()
    validate = models.TextField()
    advise = models.TextField()
    clinic_will = models.TextField()
    crisis = models.BooleanField(default=False, help_text="show crisis resources")
    # The rule's texts as message keys with their parameters, shown in the reader's language
    # (safetynet/texts.py); the four columns above keep the English rendering.
    texts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"message {self.rule_id} for {self.patient_id}"

    @property
    def shown(self) -> dict[str, str]:
        """The four parts in the active language (the stored English for older rows)."""
        from coproduce.safetynet.texts import PARTS, shown

        if not self.texts:
            return {part: getattr(self, part) for part in PARTS}
        return shown(self.texts)


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    patient = models.ForeignKey("people.Patient", on_delete=models.CASCADE, related_name="alerts")
    care_team = models.ForeignKey("people.CareTeam", on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey(
        "checkins.CheckinResponse",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    rule_id = models.CharField(max_length=80)
    rule_version = models.PositiveIntegerField(default=1)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    reason = models.CharField(max_length=300)
    # The reason as a message key with parameters, shown in the reader's language.
    reason_texts = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assigned_to = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    ack_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    action_taken = models.BooleanField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Set when an urgent alert could reach nobody (no address, or its sends kept failing):
    # the registry admins are told and staff pages show it until it is acknowledged.
    unreached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["care_team", "status", "priority", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_priority_display()} alert {self.rule_id} for {self.patient_id}"

    @property
    def reason_shown(self) -> str:
        """Why it fired, in the reader's (active) language."""
        from coproduce.safetynet.texts import reason_shown

        return reason_shown(self.reason_texts, self.reason)


class Snooze(models.Model):
    """An expected symptom the team chose not to be alerted about for a while (<= 30 days)."""

    patient = models.ForeignKey("people.Patient", on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(max_length=80)
    until = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.rule_id} snoozed for {self.patient_id} until {self.until:%Y-%m-%d}"
