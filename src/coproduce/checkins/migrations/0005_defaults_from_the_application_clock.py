# Model defaults now read the application clock (coproduce.platform.clock.now).
# A Python-side default is not part of the schema: state only, so SQLite does not rebuild
# the tables (which would also drop the audit log's append-only trigger).

from django.db import migrations, models

import coproduce.platform.clock


class Migration(migrations.Migration):

    dependencies = [
        ('checkins', '0004_links_screening_and_safetynet_retry'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='enrollment',
                    name='started_on',
                    field=models.DateField(default=coproduce.platform.clock.today),
                ),
                migrations.AlterField(
                    model_name='checkinresponse',
                    name='submitted_at',
                    field=models.DateTimeField(db_index=True, default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='invitation',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
                migrations.AlterField(
                    model_name='invitationtoken',
                    name='created_at',
                    field=models.DateTimeField(default=coproduce.platform.clock.now),
                ),
            ],
        ),
    ]
