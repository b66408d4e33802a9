"""The patient advisory panel: members, study materials and their versions, panel surveys.

Panel members are people of their own kind, not Patient rows: they never enter the
registry, QI measures or the safety net. They log in (a User with role "panelist") and
answer panel surveys about a version of a study material through single-use links.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.platform import clock


class Panel(models.Model):
    """A study's patient advisory panel (EMPOWER: a national panel of 100 patients)."""

    study = models.ForeignKey("research.Study", on_delete=models.CASCADE, related_name="panels")
    name = models.CharField(_("name"), max_length=200)
    # A national panel has no clinic: its calendar year (incentive caps) runs in this zone.
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return self.name


class AgeGroup(models.TextChoices):
    UNDER_30 = "18-29", _("18 to 29")
    FROM_30 = "30-49", _("30 to 49")
    FROM_50 = "50-64", _("50 to 64")
    FROM_65 = "65+", _("65 and over")
    UNSAID = "", _("Prefer not to say")


class PanelMember(models.Model):
    """One panel member: a login, a contact address and self-described demographics."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(
        "people.User", on_delete=models.PROTECT, related_name="panel_member"
    )
    display_name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    # Self-described: the member's own words, grouped only for the representativeness table.
    region = models.CharField(_("region"), max_length=100, blank=True)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=60, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=100, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        ordering = ["panel", "display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def member_id(self) -> str:
        """The id the finance office and the study team know this member by."""
        return f"PM-{self.pk:05d}"


class MaterialKind(models.TextChoices):
    DESCRIPTION = "description", _("Study description")
    WEBSITE = "website", _("Website")
    LOGO = "logo", _("Logo")
    EDUCATION = "education", _("Education material")
    INSTRUMENT = "instrument", _("Instrument")


class Material(models.Model):
    """A study material the panel vets, kept with all its versions."""

    study = models.ForeignKey("research.Study", on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(max_length=12, choices=MaterialKind.choices)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["study", "kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["study", "title"], name="material_title_once")
        ]

    def __str__(self) -> str:
        return self.title


class MaterialVersion(models.Model):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("version"), max_length=20)
    content = models.TextField(_("content"), help_text="the text the panel reads")
    changes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["material", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["material", "version"], name="material_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.material} v{self.version}"


class QuestionKind(models.TextChoices):
    CHOICE = "choice", _("Choice")
    TEXT = "text", _("Free text")


class PanelSurvey(models.Model):
    """A survey asking the panel about one version of one material.

    `questions` is a list of {"id", "kind": "choice"|"text", "text", "options": [...]}.
    """

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="surveys")
    version = models.ForeignKey(MaterialVersion, on_delete=models.PROTECT, related_name="surveys")
    title = models.CharField(_("title"), max_length=200)
    questions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["panel", "created_at", "pk"]

    def __str__(self) -> str:
        return self.title


class SurveyInvitation(models.Model):
    """One member's single-use link to one survey (only the token's digest is stored)."""

    survey = models.ForeignKey(PanelSurvey, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="invitations")
    digest = models.CharField(max_length=64, unique=True)
    sent_to = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="panel_invitation_once")
        ]

    def __str__(self) -> str:
        return f"{self.survey} for {self.member}"


class SurveyResponse(models.Model):
    """A member's answers; one per invitation (the constraint makes a second impossible)."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"answers to {self.invitation}"
