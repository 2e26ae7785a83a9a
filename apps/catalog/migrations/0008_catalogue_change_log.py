"""Writes that can change a public count append to a change log instead of raising one
version row: an UPDATE of that row held a lock until commit, so concurrent writers
(an import batch and an approval) waited for each other. The version is now raised by
the refresh that recomputes the stored aggregates (see apps/catalog/aggregates.py)."""

from django.db import migrations, models

WATCHED = {
    "catalog_story": ("status", "published_on", "organization_id"),
    "catalog_story_components": None,
    "catalog_story_platforms": None,
    "catalog_story_impacts": None,
    "catalog_source": ("kind", "story_id"),
    "catalog_storymitigation": None,
    "catalog_mitigation": ("title", "slug"),
    "catalog_organization": ("name", "slug"),
    "catalog_component": ("area_id", "name", "slug", "position"),
    "catalog_componentarea": None,
    "catalog_platform": None,
    "catalog_impactkind": None,
}
LOG = "INSERT INTO catalog_cataloguechange DEFAULT VALUES"
LOG_SQLITE = "INSERT INTO catalog_cataloguechange (id) VALUES (NULL)"  # no DEFAULT VALUES in a trigger
BUMP = "UPDATE catalog_catalogueversion SET value = value + 1 WHERE id = 1"


def _update_event(columns):
    return f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"


def _install(schema_editor, function, body, sqlite_body=None):
    """(Re)create the triggers of every watched table to run `body`."""
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {body}; RETURN NULL; END $$"
        )
        for table, columns in WATCHED.items():
            run(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
            run(
                f"CREATE TRIGGER {table}_version AFTER INSERT OR {_update_event(columns)} "
                f"OR DELETE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        return
    for table, columns in WATCHED.items():
        for suffix, event in (
            ("ins", "INSERT"),
            ("upd", _update_event(columns)),
            ("del", "DELETE"),
        ):
            name = f"{table}_version_{suffix}"
            run(f"DROP TRIGGER IF EXISTS {name}")
            run(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {sqlite_body or body}; END")


def log_changes(apps, schema_editor):
    _install(schema_editor, "catalog_change_log", LOG, LOG_SQLITE)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS catalog_version_bump()")
    # Whatever was stored before is recomputed once.
    apps.get_model("catalog", "CatalogueChange").objects.create()


def bump_version(apps, schema_editor):
    _install(schema_editor, "catalog_version_bump", BUMP)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS catalog_change_log()")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_upstream_opened_and_platform_kind"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueChange",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.RunPython(log_changes, bump_version),
    ]
