"""Stored catalogue aggregates, and triggers that raise the catalogue version on every
write that can change a public count (see apps/catalog/aggregates.py)."""

from django.db import migrations, models

# table -> columns whose update matters (None: any update)
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
BUMP = "UPDATE catalog_catalogueversion SET value = value + 1 WHERE id = 1"


def _update_event(columns):
    return f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"


def create_triggers(apps, schema_editor):
    apps.get_model("catalog", "CatalogueVersion").objects.create(pk=1, value=1)
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(
            "CREATE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, columns in WATCHED.items():
            run(
                f"CREATE TRIGGER {table}_version AFTER INSERT OR {_update_event(columns)} "
                f"OR DELETE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump()"
            )
        return
    for table, columns in WATCHED.items():
        for suffix, event in (
            ("ins", "INSERT"),
            ("upd", _update_event(columns)),
            ("del", "DELETE"),
        ):
            name = f"{table}_version_{suffix}"
            run(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def drop_triggers(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for table in WATCHED:
            run(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        run("DROP FUNCTION IF EXISTS catalog_version_bump()")
        return
    for table in WATCHED:
        for suffix in ("ins", "upd", "del"):
            run(f"DROP TRIGGER IF EXISTS {table}_version_{suffix}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_story_symptoms"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueAggregate",
            fields=[
                ("key", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
                ("data", models.JSONField()),
                ("computed_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="story",
            index=models.Index(
                fields=["status", "-published_on", "slug"], name="story_status_date_slug_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="story",
            index=models.Index(
                fields=["status", "-created_at", "slug"], name="story_status_added_idx"
            ),
        ),
        # A component's newest stories (related stories) without sorting all of them.
        migrations.RunSQL(
            "CREATE INDEX catalog_story_components_newest "
            "ON catalog_story_components (component_id, story_id)",
            "DROP INDEX IF EXISTS catalog_story_components_newest",
        ),
    ]
