"""The outbox model moves from the safety net to the floor: state only.

The table stays `safetynet_notification` with every row; only Django's idea of which app
owns the model changes (safetynet 0007 drops it from the safety net's state first). The
content type follows, so permissions and admin history keep pointing at the same model.
"""

import django.db.models.deletion
from django.db import migrations, models

import coproduce.platform.clock


def _content_type_to(app_label):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        other = "safetynet" if app_label == "platform" else "platform"
        if not ContentType.objects.filter(app_label=app_label, model="notification").exists():
            ContentType.objects.filter(app_label=other, model="notification").update(
                app_label=app_label
            )

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("people", "0009_site_country_user_language_and_more"),
        ("safetynet", "0007_notification_moved_to_platform"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
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
                            models.DateTimeField(
                                db_index=True, default=coproduce.platform.clock.now
                            ),
                        ),
                        ("claimed_until", models.DateTimeField(blank=True, null=True)),
                        (
                            "claimed_by",
                            models.CharField(
                                blank=True, help_text="worker host:pid", max_length=100
                            ),
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
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_type_to("platform"), _content_type_to("safetynet")),
    ]
