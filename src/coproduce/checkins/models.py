"""Programs a patient is enrolled in (schedules and invitations build on these)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Program(models.Model):
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
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "program"], name="enrolled_once")]

    def __str__(self) -> str:
        return f"{self.patient_id} in {self.program_id}"

    @property
    def active(self) -> bool:
        return self.ended_on is None
