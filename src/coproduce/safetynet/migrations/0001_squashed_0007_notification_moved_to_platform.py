"""safetynet 0001-0007 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("safetynet", "0001_initial"),
        ("safetynet", "0002_defaults_from_the_application_clock"),
        ("safetynet", "0003_notification_priority_claims_and_failure"),
        ("safetynet", "0004_notification_attachment"),
        ("safetynet", "0005_urgent_alert_reach"),
        ("safetynet", "0006_alert_reason_texts_patientmessage_texts"),
        ("safetynet", "0007_notification_moved_to_platform"),
    ]

    initial = True

    dependencies = [
        ("checkins", "0001_squashed_0007_checkinresponse_language"),
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PatientMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("rule_id", models.CharField(blank=True, max_length=80)),
                ("acknowledge", models.TextField()),
                ("validate", models.TextField()),
                ("advise", models.TextField()),
                ("clinic_will", models.TextField()),
                ("crisis", models.BooleanField(default=False, help_text="show crisis resources")),
                ("texts", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="safety_messages",
                        to="people.patient",
                    ),
                ),
                (
                    "response",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="checkins.checkinresponse",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Rule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("rule_id", models.CharField(max_length=80)),
                ("version", models.PositiveIntegerField(default=1)),
                (
                    "ruleset",
                    models.CharField(help_text="e.g. opioid-taper, ra-ibd-flare", max_length=80),
                ),
                ("title", models.CharField(max_length=200)),
                (
                    "definition",
                    models.JSONField(help_text="condition and actions as loaded from the file"),
                ),
                ("source_file", models.CharField(blank=True, max_length=200)),
                ("active", models.BooleanField(default=True)),
                ("loaded_at", models.DateTimeField(default=coproduce.platform.clock.now)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("rule_id", "version"), name="rule_version_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="Snooze",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("rule_id", models.CharField(max_length=80)),
                ("until", models.DateTimeField()),
                ("reason", models.CharField(max_length=300)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.patient",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Alert",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("rule_id", models.CharField(max_length=80)),
                ("rule_version", models.PositiveIntegerField(default=1)),
                (
                    "priority",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Urgent"), (2, "Soon"), (3, "Routine")]
                    ),
                ),
                ("reason", models.CharField(max_length=300)),
                ("reason_texts", models.JSONField(blank=True, default=dict)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("acknowledged", "Acknowledged"),
                            ("resolved", "Resolved"),
                        ],
                        default="open",
                        max_length=14,
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
                ("ack_due_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                ("resolution_note", models.TextField(blank=True)),
                ("action_taken", models.BooleanField(blank=True, null=True)),
                ("escalation_level", models.PositiveSmallIntegerField(default=0)),
                ("escalated_at", models.DateTimeField(blank=True, null=True)),
                ("unreached_at", models.DateTimeField(blank=True, null=True)),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "assigned_to",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "care_team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.careteam",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="alerts",
                        to="people.patient",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "response",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="alerts",
                        to="checkins.checkinresponse",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["care_team", "status", "priority", "created_at"],
                        name="safetynet_a_care_te_e8c1ff_idx",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("channel", models.CharField(help_text="email or sms", max_length=8)),
                ("to", models.CharField(max_length=254)),
                ("subject", models.CharField(blank=True, max_length=200)),
                ("body", models.TextField()),
                (
                    "purpose",
                    models.CharField(
                        help_text="invitation, reminder, alert, escalation", max_length=40
                    ),
                ),
                ("dedupe_key", models.CharField(max_length=120, unique=True)),
                (
                    "priority",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Urgent"), (2, "Soon"), (3, "Routine")], default=3
                    ),
                ),
                (
                    "attachment_name",
                    models.CharField(blank=True, help_text="e-mail only", max_length=120),
                ),
                ("attachment_type", models.CharField(blank=True, max_length=80)),
                ("attachment", models.BinaryField(blank=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=8,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                (
                    "next_attempt_at",
                    models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
                ("claimed_until", models.DateTimeField(blank=True, null=True)),
                (
                    "claimed_by",
                    models.CharField(blank=True, help_text="worker host:pid", max_length=100),
                ),
                ("last_error", models.TextField(blank=True)),
                ("failed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "alert",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="notifications",
                        to="safetynet.alert",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="people.patient",
                    ),
                ),
            ],
            options={
                "db_table": "safetynet_notification",
                "indexes": [
                    models.Index(
                        fields=["status", "priority", "next_attempt_at"],
                        name="safetynet_n_status_ec3557_idx",
                    )
                ],
            },
        ),
        # The outbox's table is made here, as 0001-0007 did, and leaves the safety net's
        # state as in 0007: platform 0001 takes the model over with the same table.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="Notification",
                ),
            ],
        ),
    ]
