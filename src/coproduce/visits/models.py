"""Appointments and, later, the coproduced visit record."""

from __future__ import annotations

from django.db import models


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Did not attend"


class Appointment(models.Model):
    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="appointments"
    )
    clinician = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    care_team = models.ForeignKey("people.CareTeam", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=15)
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["care_team", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "starts_at"], name="one_appointment_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} at {self.starts_at:%Y-%m-%d %H:%M}"
