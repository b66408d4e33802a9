# When each appointment last changed (FHIR meta.lastUpdated, _lastUpdated search). Rows that
# exist already get the time of this migration: no earlier change is known.

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0001_squashed_0005_appointment_import_and_previsit"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="updated_at",
            field=models.DateTimeField(default=coproduce.platform.clock.now),
        ),
    ]
