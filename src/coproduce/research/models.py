"""Studies: protocol, arms, sites, eligibility, consent documents and study staff.

The people in a study (screening log, consents, allocations, withdrawals, contacts and
sessions) live in participants.py.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.people.models import Condition
from coproduce.platform import clock


class StrataFactor(models.TextChoices):
    """What randomisation may stratify by, besides the site (always a stratum)."""

    AGE_GROUP = "age_group", _("Age group (under 50 / 50 and over)")
    BASELINE_MME = "baseline_mme", _("Baseline MME (under 90 / 90 and over)")
    CONDITION_COUNT = "conditions", _("Long-term conditions (one / more than one)")


def new_seed() -> str:
    return secrets.token_hex(16)


class Study(models.Model):
    """A pragmatic trial embedded in care. `slug` is its id in URLs and exports."""

    slug = models.SlugField(unique=True)
    title = models.CharField(_("title"), max_length=200)
    protocol_version = models.CharField(_("protocol version"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(default=True)
    # Structured eligibility, checked against registry data.
    condition = models.CharField(max_length=32, choices=Condition.choices, blank=True)
    care_program = models.ForeignKey(
        "checkins.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="eligible_for_studies",
        help_text="the care program a participant must be enrolled in (blank: any)",
    )
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    min_baseline_mme = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_baseline_mme = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # The schedule of assessments: a program whose schedules run on the check-in machinery.
    assessments = models.OneToOneField(
        "checkins.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="study",
        help_text="program holding the study's schedule of assessments",
    )
    # Randomisation. The seed is secret: it is never shown in the admin or on any page.
    strata_factors = models.JSONField(
        default=list, blank=True, help_text="strata besides the site: " + ", ".join(StrataFactor)
    )
    block_multipliers = models.JSONField(
        default=list, help_text="block sizes as multiples of the ratio sum, e.g. [1, 2]"
    )
    randomisation_seed = models.CharField(max_length=64, default=new_seed, editable=False)
    assent_age = models.PositiveSmallIntegerField(
        default=12, help_text="minors from this age give their own assent"
    )
    sites = models.ManyToManyField("people.Site", related_name="studies", blank=True)
    outcomes = models.JSONField(
        default=list, blank=True, help_text="outcome definitions: research.outcomes.DEFINITIONS"
    )

    class Meta:
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.title


class Arm(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="arms")
    code = models.SlugField()
    name = models.CharField(_("name"), max_length=120)
    ratio = models.PositiveSmallIntegerField(default=1)
    sessions = models.PositiveSmallIntegerField(
        default=0, help_text="behavioural-treatment sessions planned (0: none)"
    )

    class Meta:
        ordering = ["study", "pk"]
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="arm_code_once")]

    def __str__(self) -> str:
        return self.name


class CriterionKind(models.TextChoices):
    INCLUSION = "inclusion", _("Inclusion")
    EXCLUSION = "exclusion", _("Exclusion")


class ConfirmedCriterion(models.Model):
    """A criterion the registry cannot check; the coordinator confirms it with the patient."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="confirmed_criteria")
    kind = models.CharField(max_length=10, choices=CriterionKind.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["study", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class StudyStaff(models.Model):
    """Who works on a study: coordinators (per site), the PI, statisticians, researchers.

    What they may do comes from their user role; this row says on which study and site.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey("people.User", on_delete=models.CASCADE, related_name="studies")
    site = models.ForeignKey(
        "people.Site",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="coordinators: the site they coordinate (blank: every site of the study)",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user", "site"], name="staff_once"),
        ]
        verbose_name_plural = "study staff"

    def __str__(self) -> str:
        return f"{self.user} on {self.study}"


class Signer(models.TextChoices):
    ADULT = "adult", _("Participant (adult)")
    PARENT = "parent", _("Parent or guardian (permission)")
    ASSENT = "assent", _("Young participant (assent)")


class ConsentDocument(models.Model):
    """One version of a consent text for one kind of signer.

    A document is in force once the PI signs it off; a later version marked
    `reconsent_required` makes earlier signatures of that signer kind no longer valid.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="consent_documents")
    signer = models.CharField(max_length=8, choices=Signer.choices)
    version = models.CharField(max_length=20)
    approved_on = models.DateField(help_text="ethics approval date")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="plain language; blank lines separate paragraphs")
    reconsent_required = models.BooleanField(
        default=False, help_text="participants who signed an earlier version must sign again"
    )
    signed_off_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["study", "signer", "approved_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "signer", "version"], name="consent_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.study.slug} {self.signer} v{self.version}"

    @property
    def in_force(self) -> bool:
        return self.signed_off_at is not None


from coproduce.research.datamodels import *  # noqa: E402, F403  (models of the same app)
from coproduce.research.incentive_models import *  # noqa: E402, F403
from coproduce.research.panel_models import *  # noqa: E402, F403
from coproduce.research.participants import *  # noqa: E402, F403  (models of the same app)
