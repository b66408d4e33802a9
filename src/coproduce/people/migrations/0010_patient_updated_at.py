# When each patient's record last changed (FHIR meta.lastUpdated, _lastUpdated search).
# Added nullable and backfilled from created_at (no change since is known); required from
# 0011 on.

from django.db import migrations, models
from django.db.models import F


def from_created_at(apps, schema_editor):
    apps.get_model("people", "Patient").objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0009_site_country_user_language_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="updated_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(from_created_at, migrations.RunPython.noop),
    ]
