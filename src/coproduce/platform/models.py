"""The floor's models: the notification outbox, and the priority and channel it is sent by;
the workers' heartbeats.

The outbox row names its patient and its alert (a `people` and a `safetynet` model) by
string only, so nothing here imports a domain app; the table keeps the name it had when the
outbox lived in the safety net (`db_table`, moved by a state-only migration), and the
heartbeats the one they had in `web`.
"""

from __future__ import annotations

from django.db import models

from coproduce.platform import clock


class Priority(models.IntegerChoices):
    URGENT = 1, "Urgent"
    SOON = 2, "Soon"
    ROUTINE = 3, "Routine"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    # Refused for good (the server answered 5xx for this message): never retried.
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """An outbox row: written in the same transaction as the event that caused it.

    The worker claims rows in priority order (urgent first) with `SELECT ... FOR UPDATE SKIP
    LOCKED`, sends them, and on a passing failure schedules a retry with backoff. A
    notification is never dropped; one that keeps failing or was refused for good gets
    `failed_at` (see `platform.delivery` and docs/checkins.md, "When sending fails").
    """

    channel = models.CharField(max_length=8, help_text="email or sms")
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    purpose = models.CharField(max_length=40, help_text="invitation, reminder, alert, escalation")
    dedupe_key = models.CharField(max_length=120, unique=True)
    patient = models.ForeignKey(
        "people.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Claimed in this order: urgent alerts and their escalations before invitations.
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.ROUTINE)
    attachment_name = models.CharField(max_length=120, blank=True, help_text="e-mail only")
    attachment_type = models.CharField(max_length=80, blank=True)
    attachment = models.BinaryField(null=True, blank=True)
    alert = models.ForeignKey(
        "safetynet.Alert",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, help_text="worker host:pid")
    last_error = models.TextField(blank=True)
    # Set once: when the server refused it for good (status failed), or when it had failed
    # FAILING_AFTER_ATTEMPTS times and is still being retried (status pending).
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table it was created with, when the outbox lived in the safety net.
        db_table = "safetynet_notification"
        indexes = [models.Index(fields=["status", "priority", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} by {self.channel} ({self.status})"


class WorkerHeartbeat(models.Model):
    """One row per running `coproduce worker` (host:pid), touched on every loop."""

    worker_id = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "web_workerheartbeat"

    def __str__(self) -> str:
        return f"{self.worker_id} (seen {self.seen_at:%Y-%m-%d %H:%M:%S})"
