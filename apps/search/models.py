from django.contrib.postgres.search import SearchVectorField
from django.db import models

from apps.catalog.models import Story


class StorySearchDocument(models.Model):
    """The text a story is found by, kept in step with the story by `index_stories`.

    On PostgreSQL `vector` holds the weighted tsvector (GIN-indexed). On SQLite the
    same rows are mirrored into the FTS5 table `search_story_fts` (rowid = story id).
    """

    story = models.OneToOneField(
        Story, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.TextField()
    meta = models.TextField(help_text="Organization, components, platforms, sources, mitigations.")
    body = models.TextField(help_text="The summary as plain text, with upstream issue notes.")
    aliases = models.TextField(help_text="Other names of the story's components; weighs least.")
    vector = SearchVectorField(null=True, editable=False)

    def __str__(self) -> str:
        return self.title
