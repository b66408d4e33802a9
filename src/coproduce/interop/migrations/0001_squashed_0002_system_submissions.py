"""interop 0001-0002 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [("interop", "0001_api_clients"), ("interop", "0002_system_submissions")]

    initial = True

    dependencies = [
        ("checkins", "0001_squashed_0007_checkinresponse_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiClient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True)),
                ("client_id", models.CharField(max_length=64, unique=True)),
                (
                    "scope",
                    models.CharField(
                        help_text="space-separated SMART system scopes", max_length=500
                    ),
                ),
                (
                    "secret_digest",
                    models.CharField(
                        blank=True,
                        help_text="hash of the client secret (empty with a key set)",
                        max_length=200,
                    ),
                ),
                (
                    "jwks",
                    models.JSONField(
                        blank=True,
                        help_text="public key set for private_key_jwt (never fetched)",
                        null=True,
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="api_clients",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="AccessToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("scope", models.CharField(max_length=500)),
                ("issued_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tokens",
                        to="interop.apiclient",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="SystemSubmission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="submissions",
                        to="interop.apiclient",
                    ),
                ),
                (
                    "response",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="system_submission",
                        to="checkins.checkinresponse",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="UsedAssertion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("jti", models.CharField(max_length=200)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="interop.apiclient",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("client", "jti"), name="assertion_jti_once")
                ],
            },
        ),
    ]
