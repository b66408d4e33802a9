"""Single sign-on: identities at the hospital's provider and the approved claim mappings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coproduce.people.models import Role
from coproduce.platform import clock


class ProviderIdentity(models.Model):
    """A person at the identity provider (issuer + subject) and their coproduce account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=clock.now)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_identity")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class ClaimMapping(models.Model):
    """'Whoever the provider says has claim X = value Y gets this role / joins this team.'

    Only mappings a registry admin approved are used; editing a mapping withdraws its approval.
    Whoever wrote what it grants (`created_by`, the last to save it) cannot approve it:
    another admin must, or an admin could map their own group to a clinician and a team.
    """

    claim = models.CharField(
        _("claim"), max_length=100, default="groups", help_text=_("e.g. groups, roles")
    )
    value = models.CharField(_("value"), max_length=255)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    care_team = models.ForeignKey(
        "people.CareTeam",
        verbose_name=_("care team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claim_mappings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("single sign-on claim mapping")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="") | models.Q(care_team__isnull=False),
                name="mapping_grants_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}={self.value}"

    @property
    def approved(self) -> bool:
        return self.approved_at is not None
