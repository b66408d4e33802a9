"""accounts 0001-0003 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("accounts", "0001_provider_identities_and_claim_mappings"),
        ("accounts", "0002_claim_mappings_know_the_research_roles"),
        ("accounts", "0003_panelist_role"),
    ]

    initial = True

    dependencies = [
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ClaimMapping",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "claim",
                    models.CharField(
                        default="groups",
                        help_text="e.g. groups, roles",
                        max_length=100,
                        verbose_name="claim",
                    ),
                ),
                ("value", models.CharField(max_length=255, verbose_name="value")),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("clinician", "Clinician"),
                            ("nurse", "Nurse"),
                            ("coordinator", "Research coordinator"),
                            ("researcher", "Researcher"),
                            ("qi_lead", "QI lead"),
                            ("investigator", "Principal investigator"),
                            ("statistician", "Unblinded statistician"),
                            ("registry_admin", "Registry admin"),
                            ("patient", "Patient"),
                            ("family", "Parent, guardian or family member"),
                            ("panelist", "Patient advisory panel member"),
                        ],
                        max_length=20,
                        verbose_name="role",
                    ),
                ),
                ("approved_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "care_team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="claim_mappings",
                        to="people.careteam",
                        verbose_name="care team",
                    ),
                ),
            ],
            options={
                "verbose_name": "single sign-on claim mapping",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("role", ""), _negated=True),
                            ("care_team__isnull", False),
                            _connector="OR",
                        ),
                        name="mapping_grants_something",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ProviderIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("issuer", models.CharField(max_length=300)),
                ("subject", models.CharField(max_length=255)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("last_login_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="provider_identities",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("issuer", "subject"), name="one_user_per_identity"
                    )
                ],
            },
        ),
    ]
