"""The workers' heartbeats move from the web face to the floor, with the loop that writes
them: state only.

The table stays `web_workerheartbeat` with every row; only Django's idea of which app owns
the model changes (web 0002 drops it from the face's state first). The content type follows,
so permissions keep pointing at the same model.
"""

from django.db import migrations, models


def _content_type_to(app_label):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        other = "web" if app_label == "platform" else "platform"
        if not ContentType.objects.filter(app_label=app_label, model="workerheartbeat").exists():
            ContentType.objects.filter(app_label=other, model="workerheartbeat").update(
                app_label=app_label
            )

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("platform", "0001_notification_moved_from_safetynet"),
        ("web", "0002_workerheartbeat_moved_to_platform"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WorkerHeartbeat",
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
                        ("worker_id", models.CharField(max_length=100, unique=True)),
                        ("host", models.CharField(max_length=255)),
                        ("pid", models.PositiveIntegerField()),
                        ("started_at", models.DateTimeField()),
                        ("seen_at", models.DateTimeField(db_index=True)),
                    ],
                    options={"db_table": "web_workerheartbeat"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_type_to("platform"), _content_type_to("web")),
    ]
