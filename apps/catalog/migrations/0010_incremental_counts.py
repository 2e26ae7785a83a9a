"""The change log names the story a write touched, so a refresh counts that story again
instead of the whole catalogue (apps/catalog/counts.py).

PostgreSQL: statement triggers with transition tables (one per event, as PostgreSQL
requires), so a bulk write logs its stories in one INSERT … SELECT. SQLite: row triggers.
Taxonomy writes log no story: the aggregates show the new names and positions; a component
moved to another area logs the stories that name it.
"""

from importlib import import_module

from django.db import migrations, models

change_log = import_module("apps.catalog.migrations.0008_catalogue_change_log")

LOG = "INSERT INTO catalog_cataloguechange (story_id, recount)"
PUBLISHED = "'published'"
# Tables whose rows belong to a story: (table, story column, columns whose update matters).
STORY_TABLES = {
    "catalog_story": ("id", ("status", "published_on", "organization_id")),
    "catalog_story_components": ("story_id", ("story_id", "component_id")),
    "catalog_story_platforms": ("story_id", ("story_id", "platform_id")),
    "catalog_story_impacts": ("story_id", ("story_id", "impactkind_id")),
    "catalog_source": ("story_id", ("kind", "story_id")),
    "catalog_storymitigation": ("story_id", ("story_id", "mitigation_id")),
}
# Names and positions the aggregates show.
TAXONOMY_TABLES = {
    "catalog_mitigation": ("title", "slug"),
    "catalog_organization": ("name", "slug"),
    "catalog_component": ("name", "slug", "position"),
    "catalog_componentarea": None,
    "catalog_platform": None,
    "catalog_impactkind": None,
}


def _pg_story_sql(table: str, column: str, watched: tuple[str, ...]) -> dict[str, str]:
    """The INSERT each event runs, over the transition tables new_rows and old_rows."""
    only_public = " WHERE status = 'published'" if table == "catalog_story" else ""
    old = ", ".join(f"o.{c}" for c in watched)
    new = ", ".join(f"n.{c}" for c in watched)
    changed = f"({old}) IS DISTINCT FROM ({new})"
    if table == "catalog_story":
        changed += f" AND (o.status = {PUBLISHED} OR n.status = {PUBLISHED})"
    return {
        "INSERT": f"{LOG} SELECT DISTINCT {column}, false FROM new_rows{only_public}",
        "DELETE": f"{LOG} SELECT DISTINCT {column}, false FROM old_rows{only_public}",
        "UPDATE": (
            f"{LOG} SELECT DISTINCT s, false FROM (SELECT o.{column}, n.{column} FROM old_rows o "
            f"JOIN new_rows n ON n.id = o.id WHERE {changed}) AS c (a, b), "
            "LATERAL (VALUES (a), (b)) AS v (s)"
        ),
    }


def _drop_old_triggers(schema_editor) -> None:
    run = schema_editor.execute
    for table in change_log.WATCHED:
        if schema_editor.connection.vendor == "postgresql":
            run(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        else:
            for suffix in ("ins", "upd", "del"):
                run(f"DROP TRIGGER IF EXISTS {table}_version_{suffix}")
    if schema_editor.connection.vendor == "postgresql":
        run("DROP FUNCTION IF EXISTS catalog_change_log()")


def install_triggers(schema_editor) -> None:
    """(Re)create the triggers that log changes with the story they touch."""
    run = schema_editor.execute
    _drop_old_triggers(schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        for table, (column, watched) in STORY_TABLES.items():
            for event, sql in _pg_story_sql(table, column, watched).items():
                name = f"{table}_counts_{event[:3].lower()}"
                run(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN {sql}; RETURN NULL; END $$"
                )
                run(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                transition = {
                    "INSERT": "NEW TABLE AS new_rows",
                    "DELETE": "OLD TABLE AS old_rows",
                    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                }[event]
                run(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
        run(
            "CREATE OR REPLACE FUNCTION catalog_taxonomy_change() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {LOG} VALUES (NULL, false); RETURN NULL; END $$"
        )
        area_moves = (
            f"{LOG} SELECT DISTINCT l.story_id, false FROM catalog_story_components l "
            "JOIN new_rows n ON n.id = l.component_id JOIN old_rows o ON o.id = n.id "
            "WHERE o.area_id IS DISTINCT FROM n.area_id"
        )
        run(
            "CREATE OR REPLACE FUNCTION catalog_component_area_change() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {area_moves}; RETURN NULL; END $$"
        )
        run("DROP TRIGGER IF EXISTS catalog_component_counts_area ON catalog_component")
        run(
            "CREATE TRIGGER catalog_component_counts_area AFTER UPDATE ON catalog_component "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION catalog_component_area_change()"
        )
        for table, columns in TAXONOMY_TABLES.items():
            run(f"DROP TRIGGER IF EXISTS {table}_counts ON {table}")
            run(
                f"CREATE TRIGGER {table}_counts AFTER INSERT OR "
                f"{change_log._update_event(columns)} OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION catalog_taxonomy_change()"
            )
        return
    for table, (column, watched) in STORY_TABLES.items():
        only_public = {"NEW": "", "OLD": ""}
        if table == "catalog_story":
            only_public = {
                "NEW": f" WHEN NEW.status = {PUBLISHED}",
                "OLD": f" WHEN OLD.status = {PUBLISHED}",
            }
        update_when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
        if table == "catalog_story":
            update_when = f"({update_when}) AND (OLD.status = {PUBLISHED} OR NEW.status = {PUBLISHED})"
        for suffix, event, body in (
            ("ins", "INSERT", f"{LOG} VALUES (NEW.{column}, 0)"),
            ("del", "DELETE", f"{LOG} VALUES (OLD.{column}, 0)"),
            ("upd", "UPDATE", f"{LOG} VALUES (OLD.{column}, 0), (NEW.{column}, 0)"),
        ):
            name = f"{table}_counts_{suffix}"
            when = {
                "INSERT": only_public["NEW"],
                "DELETE": only_public["OLD"],
                "UPDATE": f" WHEN {update_when}",
            }[event]
            run(f"DROP TRIGGER IF EXISTS {name}")
            run(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {body}; END")
    run("DROP TRIGGER IF EXISTS catalog_component_counts_area")
    run(
        "CREATE TRIGGER catalog_component_counts_area AFTER UPDATE OF area_id ON catalog_component "
        f"FOR EACH ROW WHEN OLD.area_id IS NOT NEW.area_id BEGIN {LOG} SELECT story_id, 0 "
        "FROM catalog_story_components WHERE component_id = NEW.id; END"
    )
    for table, columns in TAXONOMY_TABLES.items():
        for suffix, event in (
            ("ins", "INSERT"),
            ("upd", change_log._update_event(columns)),
            ("del", "DELETE"),
        ):
            name = f"{table}_counts_{suffix}"
            run(f"DROP TRIGGER IF EXISTS {name}")
            run(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {LOG} VALUES (NULL, 0); END")


def drop_triggers(schema_editor) -> None:
    run = schema_editor.execute
    postgres = schema_editor.connection.vendor == "postgresql"
    names = [
        (table, f"{table}_counts_{suffix}")
        for table in STORY_TABLES
        for suffix in ("ins", "upd", "del")
    ]
    names += [(table, f"{table}_counts") for table in TAXONOMY_TABLES]
    names += [(table, f"{table}_counts_{s}") for table in TAXONOMY_TABLES for s in ("ins", "upd", "del")]
    names.append(("catalog_component", "catalog_component_counts_area"))
    for table, name in names:
        run(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        for table in STORY_TABLES:
            for suffix in ("ins", "upd", "del"):
                run(f"DROP FUNCTION IF EXISTS {table}_counts_{suffix}()")
        run("DROP FUNCTION IF EXISTS catalog_taxonomy_change()")
        run("DROP FUNCTION IF EXISTS catalog_component_area_change()")


def drop_change_log_triggers(apps, schema_editor):
    # Before the change log's table is rebuilt (SQLite), which would fail on triggers that
    # name it.
    _drop_old_triggers(schema_editor)


def forwards(apps, schema_editor):
    install_triggers(schema_editor)
    if apps.get_model("catalog", "Story").objects.exists():
        # The stories already there are counted once by the next refresh.
        apps.get_model("catalog", "CatalogueChange").objects.create(recount=True)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor)
    change_log.log_changes(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_story_organization_optional")]

    operations = [
        migrations.RunPython(drop_change_log_triggers, migrations.RunPython.noop),
        migrations.AddField(
            model_name="cataloguechange",
            name="story_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="cataloguechange",
            name="recount",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.CreateModel(
            name="CatalogueCount",
            fields=[
                ("key", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("stories", models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="CountedStory",
            fields=[
                ("story_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("keys", models.TextField()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
