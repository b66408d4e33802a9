"""What researchers and coordinators do with a study's data: export requests, data queries.

Imported by models.py so Django sees these models as part of the research app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.platform import clock
from coproduce.research.models import Study
from coproduce.research.participants import Participant


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the PI")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ExportRequest(models.Model):
    """A researcher's request for a de-identified export; the study's PI decides.

    On approval the export is written once and kept as a zip (`archive`): what the
    researcher downloads is exactly what the PI approved, with its manifest.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="export_requests")
    requested_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    fmt = models.CharField(max_length=8, default="csv")
    include_free_text = models.BooleanField(default=False)
    purpose = models.CharField(_("purpose"), max_length=500)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    created_at = models.DateTimeField(default=clock.now)
    decided_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    archive = models.BinaryField(null=True, blank=True, editable=False)
    manifest = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"export of {self.study_id} for {self.requested_by_id} ({self.status})"


class QueryRule(models.TextChoices):
    MISSING = "missing", _("Missing required assessment")
    OUT_OF_RANGE = "out_of_range", _("Value out of range")
    IMPOSSIBLE = "impossible", _("Impossible combination")
    DUPLICATE = "duplicate", _("Duplicate record")


class QueryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class DataQuery(models.Model):
    """One data-quality finding about one participant, worked by the site's coordinator.

    `key` names the finding (rule, record); running the rules again finds the same key and
    adds nothing, so a closed query stays closed.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="data_queries")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="data_queries"
    )
    site = models.ForeignKey("people.Site", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=14, choices=QueryRule.choices)
    key = models.CharField(max_length=200)
    message = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    answer = models.CharField(_("answer"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["status", "-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="data_query_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} query on {self.participant_id} ({self.status})"
