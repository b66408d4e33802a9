"""The people in a study: screening log, consents, allocations, withdrawals, contacts, sessions.

Imported by models.py so Django sees these models as part of the research app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.platform import clock
from coproduce.research.models import Arm, ConsentDocument, Signer, Study


class Status(models.TextChoices):
    SCREENED = "screened", _("Screened eligible")
    APPROACHED = "approached", _("Approached")
    DECLINED = "declined", _("Declined")
    INELIGIBLE = "ineligible", _("Not eligible")
    CONSENTED = "consented", _("Consented")
    RANDOMISED = "randomised", _("Randomised")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Statuses of people who have joined the study (consented or later).
IN_STUDY = (Status.CONSENTED, Status.RANDOMISED, Status.ACTIVE, Status.COMPLETED, Status.WITHDRAWN)


class DeclineReason(models.TextChoices):
    NOT_INTERESTED = "not_interested", _("Not interested in research")
    NO_TIME = "no_time", _("No time for study visits or surveys")
    NO_RANDOMISATION = "no_randomisation", _("Does not want to be randomised")
    PREFERS_TREATMENT = "prefers_treatment", _("Wants one particular treatment")
    OTHER = "other", _("Other reason")


class Participant(models.Model):
    """One patient's line in a study's screening log, and their path through the study."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="participants")
    patient = models.ForeignKey(
        "people.Patient", on_delete=models.PROTECT, related_name="study_participations"
    )
    site = models.ForeignKey("people.Site", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCREENED)
    screened_at = models.DateTimeField(default=clock.now)
    screened_by = models.ForeignKey(
        "people.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    approached_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = models.CharField(max_length=300, blank=True)
    criteria = models.JSONField(default=dict, blank=True, help_text="{criterion id: met}")
    eligibility_confirmed_at = models.DateTimeField(null=True, blank=True)
    eligibility_confirmed_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    baseline_mme = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    randomised_at = models.DateTimeField(null=True, blank=True)
    active_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "patient"], name="screened_once_per_study")
        ]
        indexes = [models.Index(fields=["study", "site", "status"])]

    def __str__(self) -> str:
        return f"{self.patient_id} in {self.study_id}"


class ConsentLink(models.Model):
    """A single-use link to sign one consent document (token digest only, as check-ins)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="consent_links"
    )
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    sent_to = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"consent link for {self.participant_id} ({self.document})"


class Consent(models.Model):
    """A signature: typed name, an explicit tick, the time and the device. Never changed."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    signer = models.CharField(max_length=8, choices=Signer.choices)
    link = models.OneToOneField(
        ConsentLink, null=True, blank=True, on_delete=models.PROTECT, related_name="consent"
    )
    typed_name = models.CharField(max_length=200)
    agreed = models.BooleanField()
    signed_at = models.DateTimeField(default=clock.now)
    device = models.CharField(max_length=300, blank=True, help_text="the browser's user agent")
    ip = models.GenericIPAddressField(null=True, blank=True)
    pdf = models.BinaryField(help_text="the signed copy the signer was sent")

    class Meta:
        indexes = [models.Index(fields=["participant", "signer", "-signed_at"])]

    def __str__(self) -> str:
        return f"{self.signer} consent of {self.participant_id} to {self.document}"


class StratumCounter(models.Model):
    """How far along its seeded sequence one stratum is (locked while allocating)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    stratum = models.CharField(max_length=200)
    allocated = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "stratum"], name="one_counter_per_stratum")
        ]

    def __str__(self) -> str:
        return f"{self.study_id}/{self.stratum}: {self.allocated}"


class Allocation(models.Model):
    """A participant's arm. One per participant; position `n` of the stratum's sequence."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="allocation"
    )
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="+")
    allocated_at = models.DateTimeField(default=clock.now)
    allocated_by = models.ForeignKey(
        "people.User", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "stratum", "position"], name="one_allocation_per_position"
            )
        ]

    def __str__(self) -> str:
        # Never the arm: str() ends up in logs and admin titles.
        return f"allocation of {self.participant_id}"


class WithdrawalScope(models.TextChoices):
    INTERVENTION = "intervention", _("Stop the study treatment (follow-up continues)")
    FOLLOW_UP = "follow_up", _("Stop follow-up (no more study surveys or calls)")
    DATA = "data", _("Withdraw data use (also left out of exports)")


# Each scope includes the ones before it.
SCOPE_ORDER = [WithdrawalScope.INTERVENTION, WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA]


class Withdrawal(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="withdrawals"
    )
    scope = models.CharField(max_length=12, choices=WithdrawalScope.choices)
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey("people.User", null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.participant_id} withdrew ({self.scope})"


class ContactTask(models.Model):
    """A follow-up call or other contact the coordinator owes a participant."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="contact_tasks"
    )
    label = models.CharField(max_length=120)
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.label} due {self.due_on}"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    RESCHEDULED = "rescheduled", _("Rescheduled")


class ContactLog(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="contacts")
    task = models.ForeignKey(
        ContactTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=ContactOutcome.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d}"


class TreatmentSession(models.Model):
    """One behavioural-treatment session (CBT 8, self-management 6), with attendance."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    telehealth_link = models.URLField(blank=True)
    attended = models.BooleanField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["participant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "number"], name="session_number_once")
        ]

    def __str__(self) -> str:
        return f"session {self.number} of {self.participant_id}"
