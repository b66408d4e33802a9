# Model defaults now read the application clock (coproduce.platform.clock.now).
# A Python-side default is not part of the schema: state only, so SQLite does not rebuild
# the tables (which would also drop the audit log's append-only trigger).

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):

    dependencies = [
        ('visits', '0003_visit_records_and_comments'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='visitcomment',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='visitrecord',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='visitrecord',
                    name='updated_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='visitrequest',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
            ],
        ),
    ]
