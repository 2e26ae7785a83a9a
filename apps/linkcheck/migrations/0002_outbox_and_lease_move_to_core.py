"""The outbox and the scheduler lease move to apps.core (its 0001_initial); the tables
stay. State only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("linkcheck", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="OutboxEntry"),
                migrations.DeleteModel(name="SchedulerLease"),
            ],
        ),
    ]
