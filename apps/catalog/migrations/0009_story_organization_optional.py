"""A story may name no organization (a person reporting an upstream issue is not one).

SQLite alters a column by rebuilding the table, which drops its triggers, so the change
log triggers of 0008 are installed again afterwards (PostgreSQL keeps them).
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

change_log = import_module("apps.catalog.migrations.0008_catalogue_change_log")


def reinstall_change_log_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        change_log._install(
            schema_editor, "catalog_change_log", change_log.LOG, change_log.LOG_SQLITE
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_catalogue_change_log")]

    operations = [
        migrations.AlterField(
            model_name="story",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="stories",
                to="catalog.organization",
            ),
        ),
        migrations.RunPython(reinstall_change_log_triggers, migrations.RunPython.noop),
    ]
