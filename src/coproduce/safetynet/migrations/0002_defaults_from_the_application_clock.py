# Model defaults now read the application clock (coproduce.platform.clock.now).
# A Python-side default is not part of the schema: state only, so SQLite does not rebuild
# the tables (which would also drop the audit log's append-only trigger).

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):

    dependencies = [
        ('safetynet', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='alert',
                    name='created_at',
                    field=models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='next_attempt_at',
                    field=models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='patientmessage',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='rule',
                    name='loaded_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='snooze',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
            ],
        ),
    ]
