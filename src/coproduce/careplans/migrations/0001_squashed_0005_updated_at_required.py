"""careplans 0001-0005 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("careplans", "0001_medications_goals_actions_and_taper_plans"),
        ("careplans", "0002_defaults_from_the_application_clock"),
        ("careplans", "0003_taper_request_increase"),
        ("careplans", "0004_updated_at"),
        ("careplans", "0005_updated_at_required"),
    ]

    initial = True

    dependencies = [
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("safetynet", "0001_squashed_0007_notification_moved_to_platform"),
        ("visits", "0001_squashed_0005_appointment_import_and_previsit"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActionItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("updated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "who",
                    models.CharField(
                        choices=[
                            ("patient", "Patient"),
                            ("family", "Family"),
                            ("team", "Care team"),
                        ],
                        max_length=8,
                    ),
                ),
                ("what", models.CharField(max_length=300)),
                ("due_on", models.DateField(blank=True, null=True)),
                ("done_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="action_items",
                        to="people.patient",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="Goal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("updated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("patient", "The patient's goal"),
                            ("clinical", "Clinical target"),
                        ],
                        default="patient",
                        max_length=10,
                    ),
                ),
                ("text", models.CharField(max_length=300)),
                ("instrument_id", models.CharField(blank=True, max_length=40)),
                (
                    "comparator",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("<=", "at most"),
                            ("<", "below"),
                            (">=", "at least"),
                            (">", "above"),
                        ],
                        max_length=2,
                    ),
                ),
                (
                    "target_value",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "Working on it"),
                            ("achieved", "Achieved"),
                            ("set_aside", "Set aside"),
                        ],
                        default="active",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="goals",
                        to="people.patient",
                    ),
                ),
                (
                    "set_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="TaperPlan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("updated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("agreed_with_patient", models.BooleanField(default=True)),
                ("start_on", models.DateField()),
                (
                    "regimen",
                    models.JSONField(
                        help_text="drug, daily_amount, dose_unit, doses_per_day, unit, factor table"
                    ),
                ),
                ("start_mme", models.DecimalField(decimal_places=2, max_digits=9)),
                ("pace_percent", models.DecimalField(decimal_places=2, max_digits=5)),
                ("pace_every_weeks", models.PositiveSmallIntegerField(default=0)),
                ("pace_every_months", models.PositiveSmallIntegerField(default=0)),
                ("doses_per_day", models.PositiveSmallIntegerField(default=1)),
                (
                    "target_mme",
                    models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=9),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "Active"),
                            ("paused", "Paused"),
                            ("stopped", "Stopped (staying at the current dose)"),
                            ("completed", "Completed"),
                        ],
                        default="active",
                        max_length=10,
                    ),
                ),
                ("end_reason", models.CharField(blank=True, max_length=40)),
                (
                    "lowest_comfortable_mme",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=9, null=True),
                ),
                ("lowest_comfortable_since", models.DateField(blank=True, null=True)),
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
                        related_name="taper_plans",
                        to="people.patient",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["active", "paused"])),
                        fields=("patient",),
                        name="one_open_taper_plan_per_patient",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TaperRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("pause", "Pause my taper"),
                            ("slow", "Go slower"),
                            ("stop", "Stop tapering and stay at my current dose"),
                            ("resume", "Restart my taper"),
                            ("increase", "Go back up to a higher dose"),
                        ],
                        max_length=8,
                    ),
                ),
                ("text", models.TextField(blank=True)),
                ("at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("respond_by", models.DateField()),
                ("answer", models.TextField(blank=True)),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                (
                    "alert",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="safetynet.alert",
                    ),
                ),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requests",
                        to="careplans.taperplan",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-at"],
            },
        ),
        migrations.CreateModel(
            name="TaperStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField()),
                ("due_on", models.DateField()),
                ("target_mme", models.DecimalField(decimal_places=2, max_digits=9)),
                (
                    "daily_amount",
                    models.DecimalField(blank=True, decimal_places=3, max_digits=9, null=True),
                ),
                (
                    "doses",
                    models.JSONField(
                        blank=True, default=list, help_text="amount per dose, as strings"
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=200)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("planned", "Planned"),
                            ("done", "Done"),
                            ("held", "Held"),
                            ("slowed", "Replaced by a slower step"),
                            ("stepped_back", "Stepped back up"),
                        ],
                        default="planned",
                        max_length=14,
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="careplans.taperplan",
                    ),
                ),
            ],
            options={
                "ordering": ["plan", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("plan", "number"), name="taper_step_number_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TaperDecision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "suggestion_kind",
                    models.CharField(
                        choices=[
                            ("go_ahead", "Go ahead with the step"),
                            ("hold", "Hold at the current dose"),
                            ("slow", "Slow the pace"),
                            ("step_back_up", "Step back up to the previous dose"),
                        ],
                        max_length=14,
                    ),
                ),
                ("suggestion_codes", models.JSONField(default=list)),
                ("suggestion_reasons", models.JSONField(default=list)),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("go_ahead", "Go ahead with the step"),
                            ("hold", "Hold at the current dose"),
                            ("slow", "Slow the pace"),
                            ("step_back_up", "Step back up to the previous dose"),
                        ],
                        max_length=14,
                    ),
                ),
                ("why", models.TextField(blank=True)),
                ("at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "decided_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="careplans.taperplan",
                    ),
                ),
                (
                    "step",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="careplans.taperstep",
                    ),
                ),
            ],
            options={
                "ordering": ["-at"],
            },
        ),
        migrations.CreateModel(
            name="Medication",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("updated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("drug", models.CharField(max_length=80)),
                ("is_opioid", models.BooleanField(default=True)),
                ("strength", models.DecimalField(decimal_places=3, max_digits=9)),
                (
                    "unit",
                    models.CharField(
                        default="mg", help_text="mg, or mcg/hr for patches", max_length=8
                    ),
                ),
                (
                    "per_day",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="empty for patches",
                        max_digits=6,
                        null=True,
                    ),
                ),
                ("factor_table", models.CharField(default="cdc-2022", max_length=40)),
                ("started_on", models.DateField()),
                ("stopped_on", models.DateField(blank=True, null=True)),
                ("confirmed_by_patient_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "entered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="medications",
                        to="people.patient",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["patient", "started_on"], name="careplans_m_patient_fa8953_idx"
                    )
                ],
            },
        ),
    ]
