from django.contrib.postgres.search import SearchVectorField
from django.db import models

from apps.catalog.models import Story


class StorySearchDocumentQuerySet(models.QuerySet["StorySearchDocument"]):
    def public(self) -> "StorySearchDocumentQuerySet":
        """Documents of public stories (`published` is `Story.is_public`, stored by indexing)."""
        return self.filter(published=True)


class StorySearchDocument(models.Model):
    """The text a story is found by, kept in step with the story by `index_stories`.

    On PostgreSQL `vector` holds the weighted tsvector (GIN-indexed over published rows).
    On SQLite the same rows are mirrored into the FTS5 table `search_story_fts` (rowid =
    story id). Component aliases are not stored: they would make every story of a
    component match each of its other names.
    """

    story = models.OneToOneField(
        Story, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.TextField()
    symptoms = models.TextField(
        default="", help_text="Error messages and log lines, one a line; weighs most."
    )
    meta = models.TextField(help_text="Organization, components, platforms, sources, mitigations.")
    body = models.TextField(help_text="The summary as plain text, with upstream issue notes.")
    published = models.BooleanField(
        default=False, help_text="Whether the story is public; searched documents start here."
    )
    vector = SearchVectorField(null=True, editable=False)

    objects = StorySearchDocumentQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title


class SearchTerm(models.Model):
    """A word of the published documents, for "did you mean": typos are matched against
    these with pg_trgm on PostgreSQL and the FTS5 trigram table `search_term_trigram`
    on SQLite (rowid = this row's rowid)."""

    word = models.CharField(max_length=40, primary_key=True)

    def __str__(self) -> str:
        return self.word
