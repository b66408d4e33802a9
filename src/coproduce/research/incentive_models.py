"""The incentives ledger: rules, entries (accrued exactly once) and payment batches.

Amounts are integer cents. Exactly once comes from two unique constraints, not from locks:
an entry's (rule, payee, source) can be written once, and a capped rule's entries take
numbered slots 1..cap per payee and calendar year, so two concurrent completions cannot
both take the last slot (see incentives.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coproduce.platform import clock


class RuleKind(models.TextChoices):
    PER_SURVEY = "per_survey", _("Per completed survey")
    MEMBERSHIP_YEAR = "membership_year", _("Per year of panel membership")


class IncentiveRule(models.Model):
    """What a study pays its participants, or a panel its members.

    Exactly one of `study` (participants' study surveys) and `panel` (panel members) is set.
    """

    study = models.ForeignKey(
        "research.Study", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    panel = models.ForeignKey(
        "research.Panel", null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    yearly_cap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="at most this many entries per calendar year (blank: no cap)",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(study__isnull=True) ^ Q(panel__isnull=True), name="rule_one_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount_cents} {self.currency}"


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")


class PaymentBatch(models.Model):
    """Entries sent to the finance office together: drafted, approved by the PI, paid."""

    study = models.ForeignKey("research.Study", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    created_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    approved_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "payment batches"

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"


class LedgerEntry(models.Model):
    """One amount earned by one payee (a patient or a panel member) for one thing."""

    rule = models.ForeignKey(IncentiveRule, on_delete=models.PROTECT, related_name="entries")
    patient = models.ForeignKey(
        "people.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "research.PanelMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "patient:<pk>" or "member:<pk>": one non-null column for the unique constraints.
    payee = models.CharField(max_length=32)
    source = models.CharField(max_length=120, help_text="what was earned, e.g. survey:<id>")
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    earned_at = models.DateTimeField()
    year = models.PositiveSmallIntegerField(help_text="calendar year of earned_at, payee's zone")
    slot = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1..cap within the year for capped rules"
    )
    batch = models.ForeignKey(
        PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["earned_at", "pk"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "payee", "source"], name="incentive_earned_once"
            ),
            models.UniqueConstraint(
                fields=["rule", "payee", "year", "slot"], name="incentive_cap_slot_once"
            ),
            models.CheckConstraint(
                condition=Q(patient__isnull=True) ^ Q(member__isnull=True),
                name="ledger_one_payee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payee} {self.source}: {self.amount_cents} {self.currency}"
