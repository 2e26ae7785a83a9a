"""Keeping StorySearchDocument (and SQLite's FTS5 mirror) in step with stories."""

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Prefetch
from django.db.models.expressions import CombinedExpression

from apps.catalog.models import Component, Story, StoryMitigation, StoryUpstreamIssue
from apps.catalog.rendering import html_to_text
from apps.core.sharedcache import catalogue_changed
from apps.search.models import SearchTerm, StorySearchDocument

FTS5_TABLE = "search_story_fts"
TERMS_FTS5 = "search_term_trigram"
_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
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
    """Title and symptoms, then the words that describe the story, then its summary."""
    components = list(story.components.all())
    meta: list[str] = [story.organization.name] if story.organization else []
    meta += [part for c in components for part in (c.name, c.area.name)]
    # A platform's aliases are its own short names (GKE, AKS), true of the story.
    meta += [name for p in story.platforms.all() for name in (p.name, *p.aliases)]
    meta += [source.title for source in story.sources.all()]
    meta += [link.mitigation.title for link in story.mitigation_links.all()]
    body = [html_to_text(story.summary_html)]
    body += [link.upstream_issue.title for link in story.upstream_links.all()]
    body += [link.note for link in story.upstream_links.all()]
    # What the story says about each mitigation, as its page shows it.
    body += [link.note for link in story.mitigation_links.all()]
    body += list(story.symptoms)
    symptoms = getattr(story, "symptoms", None) or []
    return StorySearchDocument(
        story=story,
        title=story.title,
        symptoms="\n".join(str(symptom) for symptom in symptoms),
        meta=" · ".join(part for part in meta if part),
        body=" ".join(part for part in body if part),
        published=story.is_public,
    )


def document_vector() -> CombinedExpression:
    """The weighted tsvector: title and symptoms (A), description (B), summary (C)."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("symptoms", weight="A", config=SEARCH_CONFIG)
        + SearchVector("meta", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
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
    catalogue_changed()  # search pages show what the index finds
    documents = [document_for(story) for story in _stories(ids)]
    existing = StorySearchDocument.objects.all()
    (existing if ids is None else existing.filter(pk__in=ids)).delete()
    StorySearchDocument.objects.bulk_create(documents, batch_size=_CHUNK)
    written = [doc.story_id for doc in documents]
    if connection.vendor == "postgresql":
        StorySearchDocument.objects.filter(pk__in=written).update(vector=document_vector())
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
                f"INSERT INTO {FTS5_TABLE} (rowid, title, symptoms, meta, body) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                [(d.story_id, d.title, d.symptoms, d.meta, d.body) for d in documents],
            )
    _add_terms(documents)
    return len(documents)


def _add_terms(documents: list[StorySearchDocument]) -> None:
    """Record the words of published documents for typo correction (never removed: a
    stale word only ever widens a query, and results still come from public stories)."""
    words: set[str] = set()
    for doc in documents:
        if doc.published:
            for text in (doc.title, doc.symptoms, doc.meta, doc.body):
                words.update(w for w in _WORD.findall(text.casefold()) if 4 <= len(w) <= 40)
    if not words:
        return
    ordered = sorted(words)
    known: set[str] = set()
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        known.update(SearchTerm.objects.filter(word__in=chunk).values_list("word", flat=True))
    new = [w for w in ordered if w not in known]
    SearchTerm.objects.bulk_create([SearchTerm(word=w) for w in new], batch_size=_CHUNK)
    if connection.vendor == "sqlite" and new:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TERMS_FTS5} (word) VALUES (%s)",  # noqa: S608
                [(w,) for w in new],
            )


def unindexed_story_ids() -> list[int]:
    return list(Story.objects.filter(search_document__isnull=True).values_list("pk", flat=True))
