"""Refuse UPDATE of audit entries in the database itself, whatever code runs.

DELETE is refused by the model; on PostgreSQL a trigger refuses it too. (SQLite's test
database is emptied with DELETE between tests, so it gets the UPDATE trigger only.)
"""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION submissions_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = """
CREATE TRIGGER submissions_auditentry_append_only
BEFORE UPDATE OR DELETE ON submissions_auditentry
FOR EACH ROW EXECUTE FUNCTION submissions_audit_append_only();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER submissions_auditentry_append_only
BEFORE UPDATE ON submissions_auditentry
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(PG_TRIGGER)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS submissions_auditentry_append_only"
        + (" ON submissions_auditentry" if schema_editor.connection.vendor == "postgresql" else "")
    )


class Migration(migrations.Migration):
    dependencies = [("submissions", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
