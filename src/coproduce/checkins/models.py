"""Programs a patient is enrolled in (schedules and invitations build on these)."""

from __future__ import annotations

from typing import Any

from django.db import models

from coproduce.platform import clock
from coproduce.platform.names import NamedInLanguages


class Program(NamedInLanguages):
    """A care program: which instruments a patient answers and when."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    condition = models.CharField(max_length=32, blank=True)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="enrollments"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    started_on = models.DateField(default=clock.today)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "program"], name="enrolled_once")]

    def __str__(self) -> str:
        return f"{self.patient_id} in {self.program_id}"

    @property
    def active(self) -> bool:
        return self.ended_on is None


class ScheduleKind(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    PREVISIT = "previsit", "Before each appointment"
    POSTVISIT = "postvisit", "After each visit"
    ON_DEMAND = "on_demand", "On demand"
    AFTER_START = "after_start", "Once, days after the start of the enrollment"


class Schedule(models.Model):
    """When a program's patients answer which instruments."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=ScheduleKind.choices)
    instruments = models.JSONField(default=list, help_text="instrument ids, in order")
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 = Monday (weekly schedules)"
    )
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="pre-visit: days before the appointment"
    )
    hours_after = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="post-visit: hours after the appointment"
    )
    days_after_start = models.PositiveIntegerField(
        null=True, blank=True, help_text="once: days after the enrollment starts (0 = baseline)"
    )
    ask_once_per_week = models.BooleanField(
        default=False,
        help_text="leave out instruments another program already asks the same week "
        "(study assessments: one answer counts for both)",
    )
    local_time = models.TimeField(default="09:00", help_text="clinic-local time it is due")
    reminder_days = models.JSONField(default=list, help_text="days after due, e.g. [2, 4]")
    expires_after_days = models.PositiveSmallIntegerField(default=7)
    screening = models.BooleanField(
        default=False,
        help_text="ask the rest of an instrument only after a positive screen (PHQ-2 → PHQ-9)",
    )
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.program.slug}: {self.name}"


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    IN_PROGRESS = "in_progress", "Started"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (InvitationStatus.SCHEDULED, InvitationStatus.SENT, InvitationStatus.IN_PROGRESS)


class Invitation(models.Model):
    """One check-in a patient is asked to complete, with its link token and reminders.

    The token itself is never stored: only its SHA-256 digest, so a database leak does not
    open anyone's check-in.
    """

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="invitations"
    )
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    appointment = models.ForeignKey(
        "visits.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instruments = models.JSONField(default=list)
    due_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    reminder_days = models.JSONField(default=list)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=12, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    screening = models.BooleanField(default=False, help_text="copied from the schedule")
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    token_used_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(default=dict, blank=True, help_text="answers saved as you go")
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["patient", "-due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "schedule", "due_at"], name="one_invitation_per_due_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} due {self.due_at:%Y-%m-%d}"


class InvitationToken(models.Model):
    """The digest of one link sent for an invitation (each message gets its own token).

    Reminders carry a fresh token so that no token has to be kept in clear; every link of an
    open invitation opens the same check-in and the same saved answers.
    """

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, help_text="invitation, reminder or portal")
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.purpose} link for invitation {self.invitation_id}"


class CheckinResponse(models.Model):
    """A submitted check-in. Never changed after it is stored."""

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.PROTECT, related_name="checkin_responses"
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    submitted_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=12, default="web", help_text="web, api, cli, import")
    answers = models.JSONField(help_text="{instrument_id: {linkId: value}}")
    versions = models.JSONField(help_text="{instrument_id: version}")
    free_text = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    # The language the questions were shown in (staff see it beside the answers).
    language = models.CharField(max_length=8, blank=True)
    safetynet_pending = models.BooleanField(
        default=False, help_text="the safety net failed at submit; the worker evaluates it again"
    )
    submitted_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.patient_id} at {self.submitted_at:%Y-%m-%d %H:%M}"


class Score(models.Model):
    """One instrument's score within a response (denormalised patient and time for trends)."""

    response = models.ForeignKey(CheckinResponse, on_delete=models.CASCADE, related_name="scores")
    patient = models.ForeignKey("people.Patient", on_delete=models.PROTECT, related_name="scores")
    instrument_id = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    complete = models.BooleanField(default=True)
    reason = models.CharField(max_length=200, blank=True)
    derived = models.JSONField(default=dict, blank=True)
    item_values = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "instrument_id", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "instrument_id"], name="one_score_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}={self.score} ({self.patient_id})"

    @classmethod
    def from_result(cls, response: CheckinResponse, result: Any) -> Score:
        """Return an unsaved row for one instrument's ScoreResult within `response`."""
        return cls(
            response=response,
            patient=response.patient,
            instrument_id=result.instrument_id,
            version=result.version,
            score=result.score,
            band=result.band or "",
            flags=list(result.flags),
            complete=result.complete,
            reason=(result.reason or "")[:200],
            derived=result.derived,
            item_values=result.item_values,
            at=response.submitted_at,
        )
