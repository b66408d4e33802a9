"""Models of the instruments app."""

from __future__ import annotations

from django.db import models

from coproduce.platform import clock


class InstrumentVersion(models.Model):
    """One exact, immutable version of an instrument that stored responses can point to.

    Shipped versions are recorded the first time something stores a response to them
    (``services.record_version``); imported versions are written by
    ``coproduce instruments import``. A version never changes once stored: scoring an old
    response always uses the definition it answered.
    """

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Shipped with coproduce"
        IMPORTED = "imported", "Imported by a site"

    instrument_id = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    questionnaire = models.JSONField(help_text="The FHIR R4 Questionnaire JSON.")
    scoring = models.JSONField(
        default=dict, blank=True, help_text="Scoring sidecar, e.g. a raw-to-T table."
    )
    license = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    imported_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instrument_id", "version"], name="unique_instrument_version"
            )
        ]
        ordering = ["instrument_id", "version"]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.version}"
