"""Appointments, patient-initiated visit requests and the visit settings of a site."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.platform import clock
from coproduce.platform.stamps import UpdatedAt


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    ATTENDED = "attended", _("Attended")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Did not attend")


class Appointment(UpdatedAt):
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
    # The appointment's own id in the clinic's scheduling system (CSV or FHIR import); unique
    # per site, kept with the site so the database enforces it.
    external_id = models.CharField(max_length=64, blank=True)
    external_site = models.ForeignKey(
        "people.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        max_length=64, blank=True, help_text=_("appointment type in the clinic's system")
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
            ),
            models.UniqueConstraint(
                fields=["external_site", "external_id"],
                condition=~models.Q(external_id=""),
                name="appointment_external_id_unique_in_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class SitePolicy(models.Model):
    """A site's visit settings (kept on the visits side: people.Site belongs to the core)."""

    site = models.OneToOneField(
        "people.Site", on_delete=models.CASCADE, related_name="visit_policy"
    )
    target_working_days = models.PositiveSmallIntegerField(
        default=10,
        help_text="A patient who asks to be seen is seen within this many working days "
        "(Gävle's model: 10).",
    )
    previsit_days_before = models.PositiveSmallIntegerField(
        _("pre-visit check-in, days before"),
        default=3,
        help_text=_("Every appointment gets a pre-visit check-in this many days before it."),
    )

    class Meta:
        verbose_name_plural = "site policies"

    def __str__(self) -> str:
        return f"{self.site_id}: seen within {self.target_working_days} working days"


class VisitRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the care team")
    SCHEDULED = "scheduled", _("Visit booked")
    CLOSED = "closed", _("Closed")


class VisitRequest(models.Model):
    """A patient (or parent) asking to be seen: "I'm not doing well"."""

    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="visit_requests"
    )
    requested_by = models.ForeignKey(
        "people.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=500, blank=True)
    status = models.CharField(
        max_length=10, choices=VisitRequestStatus.choices, default=VisitRequestStatus.OPEN
    )
    target_by = models.DateField(help_text="clinic-local date by which the patient is seen")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "target_by"])]
        constraints = [
            # One open request at a time: a second tap joins the first instead of queueing twice.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="open"),
                name="one_open_visit_request",
            )
        ]

    def __str__(self) -> str:
        return f"visit request {self.pk} for {self.patient_id} ({self.status})"


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (only the care team sees it)")
    SHARED = "shared", _("Shared with the patient")


class VisitRecord(models.Model):
    """The coproduced record of one visit: the agenda and the four steps, in plain words.

    The patient's agenda items are copied from their pre-visit check-in when the record is
    started, so the record keeps what they asked for even if they answer again later.
    """

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="record")
    patient = models.ForeignKey(
        "people.Patient", on_delete=models.CASCADE, related_name="visit_records"
    )
    patient_agenda = models.JSONField(
        default=list, blank=True, help_text="the patient's items, in their words, first"
    )
    patient_partner = models.CharField(
        max_length=600, blank=True, help_text=_("how the patient likes to partner, their words")
    )
    team_agenda = models.TextField(blank=True, help_text="the team's items, one per line")
    # Coassess
    coassess = models.TextField("What we both see", blank=True)
    # Codecide
    options = models.TextField("Options we talked about", blank=True)
    what_matters = models.TextField("What matters most to the patient", blank=True)
    decision = models.TextField("What we chose", blank=True)
    # Codesign
    patient_actions = models.TextField("What the patient and family will do", blank=True)
    team_actions = models.TextField("What the care team will do", blank=True)
    # Codeliver
    next_checkins = models.TextField("Next check-ins", blank=True)
    follow_up = models.TextField("Who follows up, and when", blank=True)
    status = models.CharField(
        max_length=8, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
    created_by = models.ForeignKey(
        "people.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"visit record of appointment {self.appointment_id} ({self.status})"

    @property
    def team_items(self) -> list[str]:
        return [line.strip() for line in self.team_agenda.splitlines() if line.strip()]

    @property
    def agenda(self) -> list[tuple[str, str]]:
        """(who, item): the patient's items first, then the team's (the "flip")."""
        return [("patient", item) for item in self.patient_agenda] + [
            ("team", item) for item in self.team_items
        ]


class VisitComment(models.Model):
    """A comment by the patient (or parent) on a shared visit record; never edited."""

    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "people.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150, help_text="as shown when it was written")
    body = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on record {self.record_id}"

    def save(self, *args, **kwargs):
        # Comments are part of the record's history: a later change would rewrite what the
        # care team may already have read and acted on.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Visit comments are never edited.")
        super().save(*args, **kwargs)
