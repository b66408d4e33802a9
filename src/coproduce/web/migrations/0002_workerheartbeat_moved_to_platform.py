"""The workers' heartbeats move to the floor (platform 0002): state only, the table
`web_workerheartbeat` and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0001_worker_heartbeat"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="WorkerHeartbeat")],
            database_operations=[],
        ),
    ]
