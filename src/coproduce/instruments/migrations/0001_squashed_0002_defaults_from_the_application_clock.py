"""instruments 0001-0002 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("instruments", "0001_create_instrument_version"),
        ("instruments", "0002_defaults_from_the_application_clock"),
    ]

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="InstrumentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("instrument_id", models.CharField(max_length=64)),
                ("version", models.CharField(max_length=32)),
                ("title", models.CharField(max_length=200)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("shipped", "Shipped with coproduce"),
                            ("imported", "Imported by a site"),
                        ],
                        max_length=16,
                    ),
                ),
                ("questionnaire", models.JSONField(help_text="The FHIR R4 Questionnaire JSON.")),
                (
                    "scoring",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="Scoring sidecar, e.g. a raw-to-T table.",
                    ),
                ),
                ("license", models.TextField(blank=True)),
                ("warnings", models.JSONField(blank=True, default=list)),
                ("imported_at", models.DateTimeField(default=coproduce.platform.clock.now)),
            ],
            options={
                "ordering": ["instrument_id", "version"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("instrument_id", "version"), name="unique_instrument_version"
                    )
                ],
            },
        ),
    ]
