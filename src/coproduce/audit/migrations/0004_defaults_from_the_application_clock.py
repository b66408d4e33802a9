# Model defaults now read the application clock (coproduce.platform.clock.now).
# A Python-side default is not part of the schema: state only, so SQLite does not rebuild
# the tables (which would also drop the audit log's append-only trigger).

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_audit_append_only_triggers'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auditevent',
                    name='at',
                    field=models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
            ],
        ),
    ]
