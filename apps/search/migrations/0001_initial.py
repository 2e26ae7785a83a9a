import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="StorySearchDocument",
            fields=[
                (
                    "story",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="catalog.story",
                    ),
                ),
                ("title", models.TextField()),
                (
                    "meta",
                    models.TextField(
                        help_text="Organization, components, platforms, sources, mitigations."
                    ),
                ),
                (
                    "body",
                    models.TextField(
                        help_text="The summary as plain text, with upstream issue notes."
                    ),
                ),
                (
                    "aliases",
                    models.TextField(
                        help_text="Other names of the story's components; weighs least."
                    ),
                ),
                (
                    "vector",
                    django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
                ),
            ],
        ),
    ]
