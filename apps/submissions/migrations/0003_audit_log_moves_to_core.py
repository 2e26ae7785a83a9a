"""The audit log moves to apps.core (its 0001_initial); the table stays. State only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("submissions", "0002_audit_log_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="entry",
                    field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to="core.auditentry"),
                ),
                migrations.DeleteModel(name="AuditEntry"),
            ],
        ),
    ]
