"""Search documents without component aliases, with symptoms and a published flag;
a vocabulary of indexed words for typo correction (pg_trgm on PostgreSQL, an FTS5
trigram table on SQLite).

PostgreSQL: the GIN index covers published documents only, so no search reads drafts.
SQLite: the FTS5 table is rebuilt with the new columns from the stored documents.
"""

import re

from django.db import migrations, models

FTS5_TABLE = "search_story_fts"
TERMS_FTS5 = "search_term_trigram"
_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


def _fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    document = apps.get_model("search", "StorySearchDocument")
    term = apps.get_model("search", "SearchTerm")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_storysearchdocument SET published = EXISTS (SELECT 1 FROM "
            "catalog_story s WHERE s.id = search_storysearchdocument.story_id "
            "AND s.status = 'published')"
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE search_storysearchdocument SET vector = "
                "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
                "setweight(to_tsvector('english', coalesce(symptoms, '')), 'A') || "
                "setweight(to_tsvector('english', coalesce(meta, '')), 'B') || "
                "setweight(to_tsvector('english', coalesce(body, '')), 'C')"
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"INSERT INTO {FTS5_TABLE} (rowid, title, symptoms, meta, body) "  # noqa: S608
                "SELECT story_id, title, symptoms, meta, body FROM search_storysearchdocument"
            )
    words: set[str] = set()
    rows = document.objects.filter(published=True).values_list("title", "meta", "body")
    for row in rows.iterator(chunk_size=2000):
        for text in row:
            words.update(w for w in _WORD.findall(text.casefold()) if 4 <= len(w) <= 40)
    term.objects.bulk_create([term(word=w) for w in sorted(words)], batch_size=2000)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TERMS_FTS5} (rowid, word) "  # noqa: S608
                "SELECT rowid, word FROM search_searchterm"
            )


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS search_document_vector_gin")
        schema_editor.execute(
            "CREATE INDEX search_document_vector_gin ON search_storysearchdocument "
            "USING gin (vector) WHERE published"
        )
        schema_editor.execute(
            "CREATE INDEX search_term_word_trgm ON search_searchterm "
            "USING gin (word gin_trgm_ops)"
        )
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS5_TABLE}")
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {FTS5_TABLE} USING fts5(title, symptoms, meta, body, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {TERMS_FTS5} USING fts5(word, tokenize = 'trigram')"
        )
    _fill(apps, schema_editor)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_term_word_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS search_document_vector_gin")
        schema_editor.execute(
            "CREATE INDEX search_document_vector_gin ON search_storysearchdocument "
            "USING gin (vector)"
        )
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {TERMS_FTS5}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS5_TABLE}")
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {FTS5_TABLE} USING fts5(title, meta, body, aliases, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )


class Migration(migrations.Migration):
    dependencies = [("search", "0002_engine_indexes"), ("catalog", "0001_initial")]

    operations = [
        migrations.RemoveField(model_name="storysearchdocument", name="aliases"),
        migrations.AddField(
            model_name="storysearchdocument",
            name="symptoms",
            field=models.TextField(
                default="", help_text="Error messages and log lines, one a line; weighs most."
            ),
        ),
        migrations.AddField(
            model_name="storysearchdocument",
            name="published",
            field=models.BooleanField(
                default=False,
                help_text="Whether the story is public; searched documents start here.",
            ),
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("word", models.CharField(max_length=40, primary_key=True, serialize=False)),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
