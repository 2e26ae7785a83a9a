"""PostgreSQL keeps a document's vector in its row (STORAGE MAIN) and moves the longer
texts out to TOAST first: a row holds title, symptoms, organization and sources, summary
and vector, over the 2 kB past which PostgreSQL moves the largest attribute out of the
row, and that was the vector, read by every search that reads documents in order. Rows
written from now on (index_stories rewrites a story's document) are stored so."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE search_storysearchdocument ALTER COLUMN vector SET STORAGE MAIN"
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE search_storysearchdocument ALTER COLUMN vector SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [("search", "0003_symptoms_published_terms")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
