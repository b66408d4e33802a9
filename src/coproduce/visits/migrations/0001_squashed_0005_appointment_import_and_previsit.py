"""visits 0001-0005 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("visits", "0001_initial"),
        ("visits", "0002_visit_requests_and_site_policy"),
        ("visits", "0003_visit_records_and_comments"),
        ("visits", "0004_defaults_from_the_application_clock"),
        ("visits", "0005_appointment_import_and_previsit"),
    ]

    initial = True

    dependencies = [
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Appointment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("starts_at", models.DateTimeField()),
                ("minutes", models.PositiveSmallIntegerField(default=15)),
                ("reason", models.CharField(blank=True, max_length=200)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("booked", "Booked"),
                            ("attended", "Attended"),
                            ("cancelled", "Cancelled"),
                            ("missed", "Did not attend"),
                        ],
                        default="booked",
                        max_length=12,
                    ),
                ),
                ("external_id", models.CharField(blank=True, max_length=64)),
                (
                    "kind",
                    models.CharField(
                        blank=True,
                        help_text="appointment type in the clinic's system",
                        max_length=64,
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
                    "clinician",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "external_site",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.site",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="appointments",
                        to="people.patient",
                    ),
                ),
            ],
            options={
                "ordering": ["starts_at"],
                "indexes": [
                    models.Index(
                        fields=["care_team", "starts_at"], name="visits_appo_care_te_84581a_idx"
                    ),
                    models.Index(
                        fields=["patient", "starts_at"], name="visits_appo_patient_f10c6c_idx"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("patient", "starts_at"), name="one_appointment_per_slot"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("external_id", ""), _negated=True),
                        fields=("external_site", "external_id"),
                        name="appointment_external_id_unique_in_site",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="SitePolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "target_working_days",
                    models.PositiveSmallIntegerField(
                        default=10,
                        help_text="A patient who asks to be seen is seen within this many working days (Gävle's model: 10).",
                    ),
                ),
                (
                    "previsit_days_before",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="Every appointment gets a pre-visit check-in this many days before it.",
                        verbose_name="pre-visit check-in, days before",
                    ),
                ),
                (
                    "site",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="visit_policy",
                        to="people.site",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "site policies",
            },
        ),
        migrations.CreateModel(
            name="VisitRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "patient_agenda",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="the patient's items, in their words, first",
                    ),
                ),
                (
                    "patient_partner",
                    models.CharField(
                        blank=True,
                        help_text="how the patient likes to partner, their words",
                        max_length=600,
                    ),
                ),
                (
                    "team_agenda",
                    models.TextField(blank=True, help_text="the team's items, one per line"),
                ),
                ("coassess", models.TextField(blank=True, verbose_name="What we both see")),
                ("options", models.TextField(blank=True, verbose_name="Options we talked about")),
                (
                    "what_matters",
                    models.TextField(blank=True, verbose_name="What matters most to the patient"),
                ),
                ("decision", models.TextField(blank=True, verbose_name="What we chose")),
                (
                    "patient_actions",
                    models.TextField(
                        blank=True, verbose_name="What the patient and family will do"
                    ),
                ),
                (
                    "team_actions",
                    models.TextField(blank=True, verbose_name="What the care team will do"),
                ),
                ("next_checkins", models.TextField(blank=True, verbose_name="Next check-ins")),
                (
                    "follow_up",
                    models.TextField(blank=True, verbose_name="Who follows up, and when"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft (only the care team sees it)"),
                            ("shared", "Shared with the patient"),
                        ],
                        default="draft",
                        max_length=8,
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("updated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("shared_at", models.DateTimeField(blank=True, null=True)),
                (
                    "appointment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="record",
                        to="visits.appointment",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
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
                        related_name="visit_records",
                        to="people.patient",
                    ),
                ),
                (
                    "shared_by",
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
                "indexes": [
                    models.Index(
                        fields=["patient", "status"], name="visits_visi_patient_9f6c27_idx"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="VisitComment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "author_name",
                    models.CharField(help_text="as shown when it was written", max_length=150),
                ),
                ("body", models.TextField(max_length=1000)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "author",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comments",
                        to="visits.visitrecord",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="VisitRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.TextField(blank=True, max_length=500)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Waiting for the care team"),
                            ("scheduled", "Visit booked"),
                            ("closed", "Closed"),
                        ],
                        default="open",
                        max_length=10,
                    ),
                ),
                (
                    "target_by",
                    models.DateField(help_text="clinic-local date by which the patient is seen"),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
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
                    "closed_by",
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
                        related_name="visit_requests",
                        to="people.patient",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["status", "target_by"], name="visits_visi_status_9e3c60_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "open")),
                        fields=("patient",),
                        name="one_open_visit_request",
                    )
                ],
            },
        ),
    ]
