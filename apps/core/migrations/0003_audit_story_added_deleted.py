"""Two more audit actions: a story added (in the admin) and a story deleted, each logged as
what it is rather than as an edit. On SQLite, changing the table's check constraint
rebuilds the table, which drops its append-only trigger: it is created again."""

from django.db import migrations, models

ACTIONS = [
    ("submitted", "Submitted"),
    ("revised", "Revised by the submitter"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("changes_requested", "Changes requested"),
    ("retracted", "Story retracted"),
    ("story_added", "Story added"),
    ("story_edited", "Story edited"),
    ("story_deleted", "Story deleted"),
    ("story_imported", "Story imported from its file"),
]
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS submissions_auditentry_append_only
BEFORE UPDATE ON submissions_auditentry
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
"""


def append_only_again(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles")]

    operations = [
        migrations.RemoveConstraint(model_name="auditentry", name="audit_action_valid"),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(choices=ACTIONS, max_length=20),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.CheckConstraint(
                condition=models.Q(action__in=[value for value, _ in ACTIONS]),
                name="audit_action_valid",
            ),
        ),
        migrations.RunPython(append_only_again, append_only_again),
    ]
