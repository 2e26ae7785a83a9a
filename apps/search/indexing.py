"""Keeping StorySearchDocument (and SQLite's FTS5 mirror) in step with stories."""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Prefetch

from apps.catalog.models import Component, Story, StoryMitigation, StoryUpstreamIssue
from apps.catalog.rendering import html_to_text
from apps.search.models import StorySearchDocument

FTS5_TABLE = "search_story_fts"
SEARCH_CONFIG = "english"
_CHUNK = 500


def _stories(ids: list[int] | None) -> Iterable[Story]:
    stories = Story.objects.select_related("organization").prefetch_related(
        Prefetch("components", queryset=Component.objects.select_related("area")),
        "platforms",
        "sources",
        Prefetch(
            "upstream_links", queryset=StoryUpstreamIssue.objects.select_related("upstream_issue")
        ),
        Prefetch("mitigation_links", queryset=StoryMitigation.objects.select_related("mitigation")),
    )
    return stories if ids is None else stories.filter(pk__in=ids)


def document_for(story: Story) -> StorySearchDocument:
    """Title, then the words that describe the story, then its summary as plain text."""
    components = list(story.components.all())
    meta: list[str] = [story.organization.name]
    meta += [part for c in components for part in (c.name, c.area.name)]
    meta += [platform.name for platform in story.platforms.all()]
    meta += [source.title for source in story.sources.all()]
    meta += [link.mitigation.title for link in story.mitigation_links.all()]
    body = [html_to_text(story.summary_html)]
    body += [link.upstream_issue.title for link in story.upstream_links.all()]
    body += [link.note for link in story.upstream_links.all()]
    body += list(story.symptoms)
    return StorySearchDocument(
        story=story,
        title=story.title,
        meta=" · ".join(part for part in meta if part),
        body=" ".join(part for part in body if part),
        aliases=" · ".join(str(alias) for c in components for alias in c.aliases),
    )


@transaction.atomic
def index_stories(story_ids: Iterable[int] | None = None) -> int:
    """(Re)build the search documents of these stories, or of every story with None.

    Ids of deleted stories are accepted: their documents are removed. Returns the number
    of documents written.
    """
    ids = None if story_ids is None else sorted(set(story_ids))
    if ids == []:
        return 0
    documents = [document_for(story) for story in _stories(ids)]
    existing = StorySearchDocument.objects.all()
    (existing if ids is None else existing.filter(pk__in=ids)).delete()
    StorySearchDocument.objects.bulk_create(documents, batch_size=_CHUNK)
    written = [doc.story_id for doc in documents]
    if connection.vendor == "postgresql":
        StorySearchDocument.objects.filter(pk__in=written).update(
            vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("meta", weight="B", config=SEARCH_CONFIG)
            + SearchVector("body", weight="C", config=SEARCH_CONFIG)
            + SearchVector("aliases", weight="D", config=SEARCH_CONFIG)
        )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            if ids is None:
                cursor.execute(f"DELETE FROM {FTS5_TABLE}")  # noqa: S608 - constant name
            else:
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(f"DELETE FROM {FTS5_TABLE} WHERE rowid IN ({marks})", chunk)  # noqa: S608
            cursor.executemany(
                f"INSERT INTO {FTS5_TABLE} (rowid, title, meta, body, aliases) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                [(d.story_id, d.title, d.meta, d.body, d.aliases) for d in documents],
            )
    return len(documents)


def unindexed_story_ids() -> list[int]:
    return list(Story.objects.filter(search_document__isnull=True).values_list("pk", flat=True))
