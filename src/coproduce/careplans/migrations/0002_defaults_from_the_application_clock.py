# Model defaults now read the application clock (coproduce.platform.clock.now).
# A Python-side default is not part of the schema: state only, so SQLite does not rebuild
# the tables (which would also drop the audit log's append-only trigger).

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):

    dependencies = [
        ('careplans', '0001_medications_goals_actions_and_taper_plans'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='actionitem',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='goal',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='medication',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='taperdecision',
                    name='at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='taperplan',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='taperrequest',
                    name='at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
            ],
        ),
    ]
