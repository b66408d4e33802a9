"""checkins 0001-0007 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("checkins", "0001_initial"),
        ("checkins", "0002_initial"),
        ("checkins", "0003_schedules_invitations_responses_scores"),
        ("checkins", "0004_links_screening_and_safetynet_retry"),
        ("checkins", "0005_defaults_from_the_application_clock"),
        ("checkins", "0006_schedule_once_after_start_and_ask_once"),
        ("checkins", "0007_checkinresponse_language"),
    ]

    initial = True

    dependencies = [
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("visits", "0001_squashed_0005_appointment_import_and_previsit"),
    ]

    operations = [
        migrations.CreateModel(
            name="Program",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(unique=True)),
                ("name", models.CharField(max_length=120)),
                ("condition", models.CharField(blank=True, max_length=32)),
                ("description", models.TextField(blank=True)),
            ],
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("instruments", models.JSONField(default=list)),
                ("due_at", models.DateTimeField(db_index=True)),
                ("expires_at", models.DateTimeField()),
                ("reminder_days", models.JSONField(default=list)),
                ("reminders_sent", models.PositiveSmallIntegerField(default=0)),
                ("next_reminder_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("sent", "Sent"),
                            ("in_progress", "Started"),
                            ("completed", "Completed"),
                            ("expired", "Expired"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="scheduled",
                        max_length=12,
                    ),
                ),
                (
                    "screening",
                    models.BooleanField(default=False, help_text="copied from the schedule"),
                ),
                ("token_digest", models.CharField(blank=True, db_index=True, max_length=64)),
                ("token_used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "draft",
                    models.JSONField(blank=True, default=dict, help_text="answers saved as you go"),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="visits.appointment",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="people.patient",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="CheckinResponse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        default="web", help_text="web, api, cli, import", max_length=12
                    ),
                ),
                ("answers", models.JSONField(help_text="{instrument_id: {linkId: value}}")),
                ("versions", models.JSONField(help_text="{instrument_id: version}")),
                ("free_text", models.TextField(blank=True)),
                ("idempotency_key", models.CharField(max_length=64, unique=True)),
                ("language", models.CharField(blank=True, max_length=8)),
                (
                    "safetynet_pending",
                    models.BooleanField(
                        default=False,
                        help_text="the safety net failed at submit; the worker evaluates it again",
                    ),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="checkin_responses",
                        to="people.patient",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "invitation",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="response",
                        to="checkins.invitation",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["patient", "-submitted_at"], name="checkins_ch_patient_782bc1_idx"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="InvitationToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64, unique=True)),
                (
                    "purpose",
                    models.CharField(help_text="invitation, reminder or portal", max_length=20),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "invitation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tokens",
                        to="checkins.invitation",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Enrollment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("started_on", models.DateField(default=coproduce.platform.clock.today)),
                ("ended_on", models.DateField(blank=True, null=True)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="enrollments",
                        to="people.patient",
                    ),
                ),
                (
                    "program",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enrollments",
                        to="checkins.program",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("patient", "program"), name="enrolled_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="Schedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("weekly", "Weekly"),
                            ("monthly", "Monthly"),
                            ("previsit", "Before each appointment"),
                            ("postvisit", "After each visit"),
                            ("on_demand", "On demand"),
                            ("after_start", "Once, days after the start of the enrollment"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "instruments",
                    models.JSONField(default=list, help_text="instrument ids, in order"),
                ),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        blank=True, help_text="0 = Monday (weekly schedules)", null=True
                    ),
                ),
                ("day_of_month", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "days_before",
                    models.PositiveSmallIntegerField(
                        blank=True, help_text="pre-visit: days before the appointment", null=True
                    ),
                ),
                (
                    "hours_after",
                    models.PositiveSmallIntegerField(
                        blank=True, help_text="post-visit: hours after the appointment", null=True
                    ),
                ),
                (
                    "days_after_start",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="once: days after the enrollment starts (0 = baseline)",
                        null=True,
                    ),
                ),
                (
                    "ask_once_per_week",
                    models.BooleanField(
                        default=False,
                        help_text="leave out instruments another program already asks the same week (study assessments: one answer counts for both)",
                    ),
                ),
                (
                    "local_time",
                    models.TimeField(default="09:00", help_text="clinic-local time it is due"),
                ),
                (
                    "reminder_days",
                    models.JSONField(default=list, help_text="days after due, e.g. [2, 4]"),
                ),
                ("expires_after_days", models.PositiveSmallIntegerField(default=7)),
                (
                    "screening",
                    models.BooleanField(
                        default=False,
                        help_text="ask the rest of an instrument only after a positive screen (PHQ-2 → PHQ-9)",
                    ),
                ),
                ("active", models.BooleanField(default=True)),
                (
                    "program",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="schedules",
                        to="checkins.program",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="invitation",
            name="schedule",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invitations",
                to="checkins.schedule",
            ),
        ),
        migrations.CreateModel(
            name="Score",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("instrument_id", models.CharField(max_length=40)),
                ("version", models.CharField(max_length=20)),
                ("score", models.FloatField(blank=True, null=True)),
                ("band", models.CharField(blank=True, max_length=40)),
                ("flags", models.JSONField(blank=True, default=list)),
                ("complete", models.BooleanField(default=True)),
                ("reason", models.CharField(blank=True, max_length=200)),
                ("derived", models.JSONField(blank=True, default=dict)),
                ("item_values", models.JSONField(blank=True, default=dict)),
                ("at", models.DateTimeField(db_index=True)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="scores",
                        to="people.patient",
                    ),
                ),
                (
                    "response",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="scores",
                        to="checkins.checkinresponse",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["patient", "instrument_id", "at"],
                        name="checkins_sc_patient_d021d6_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("response", "instrument_id"), name="one_score_per_instrument"
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(fields=["status", "due_at"], name="checkins_in_status_0995e1_idx"),
        ),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(
                fields=["patient", "-due_at"], name="checkins_in_patient_c291d8_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                fields=("patient", "schedule", "due_at"), name="one_invitation_per_due_time"
            ),
        ),
    ]
