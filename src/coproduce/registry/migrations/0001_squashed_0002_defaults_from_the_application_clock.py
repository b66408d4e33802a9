"""registry 0001-0002 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("registry", "0001_pdsa_annotations_and_measure_rollups"),
        ("registry", "0002_defaults_from_the_application_clock"),
    ]

    initial = True

    dependencies = [
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupCoverage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("measure_id", models.CharField(max_length=40, unique=True)),
                ("first_month", models.DateField()),
                ("last_month", models.DateField()),
                ("refreshed_at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="MeasureMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("measure_id", models.CharField(max_length=40)),
                ("site_id", models.PositiveIntegerField(help_text="0: the whole network")),
                ("month", models.DateField()),
                ("numerator", models.PositiveIntegerField()),
                ("denominator", models.PositiveIntegerField()),
                (
                    "value",
                    models.FloatField(blank=True, help_text="median measures only", null=True),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("measure_id", "month", "site_id"), name="one_rollup_per_site_month"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PdsaAnnotation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("measure_id", models.CharField(max_length=40)),
                ("on", models.DateField(help_text="when the change started")),
                ("title", models.CharField(help_text="what change was tested", max_length=200)),
                ("note", models.TextField(blank=True)),
                (
                    "new_phase",
                    models.BooleanField(
                        default=False, help_text="recalculate the control limits from this month"
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.site",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["measure_id", "on"], name="registry_pd_measure_a1d0c9_idx")
                ],
            },
        ),
    ]
