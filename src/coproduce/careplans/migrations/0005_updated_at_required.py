# updated_at is required from here on: every row has one (0004_updated_at, in its own
# transaction: on PostgreSQL a table cannot be altered while its backfill's updates still
# have foreign-key checks pending).

from django.db import migrations, models

import coproduce.platform.clock

MODELS = ("actionitem", "goal", "medication", "taperplan")


class Migration(migrations.Migration):

    dependencies = [
        ("careplans", "0004_updated_at"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name=name,
                name="updated_at",
                field=models.DateTimeField(default=coproduce.platform.clock.now),
            )
            for name in MODELS
        ),
    ]
