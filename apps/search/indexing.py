"""Keeping StorySearchDocument (and SQLite's FTS5 mirror) in step with stories."""

import re
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from apps.catalog.models import (
    Source,
    Story,
    StoryMitigation,
    StoryUpstreamIssue,
    public_story_filter,
)
from apps.catalog.rendering import html_to_text
from apps.catalog.rows import Relations, rows_by_story
from apps.core.sharedcache import catalogue_changed
from apps.search.models import SearchTerm, StorySearchDocument

FTS5_TABLE = "search_story_fts"
TERMS_FTS5 = "search_term_trigram"
_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
SEARCH_CONFIG = "english"
_CHUNK = 500


# What a document says of a story beyond its own columns, read as plain rows, one query
# each and no model instances: (the rows, in the order the story's page lists them; columns).
_PARTS: Relations = {
    "components": (
        Story.components.through.objects.order_by(
            "component__area__position", "component__position", "component__name"
        ),
        ("component__name", "component__area__name"),
    ),
    "platforms": (
        Story.platforms.through.objects.order_by("platform__position", "platform__name"),
        ("platform__name", "platform__aliases"),
    ),
    "sources": (Source.objects.order_by("story_id", "position", "id"), ("title",)),
    "upstream": (
        StoryUpstreamIssue.objects.order_by("story_id", "position", "id"),
        ("upstream_issue__title", "note"),
    ),
    "mitigations": (
        StoryMitigation.objects.order_by("story_id", "position", "id"),
        ("mitigation__title", "note"),
    ),
}
_NONE: list[Any] = []


def _documents(ids: list[int]) -> list[StorySearchDocument]:
    """The documents of those of the stories `ids` that exist, in six queries."""
    parts = rows_by_story(_PARTS, ids)
    stories = (
        Story.objects.filter(pk__in=ids)
        .annotate(published=public_story_filter())
        .values_list("pk", "title", "symptoms", "summary_html", "organization__name", "published")
    )
    return [
        _document(row, **{part: rows.get(row[0], _NONE) for part, rows in parts.items()})
        for row in stories
    ]


def _document(
    row: tuple[Any, ...],
    *,
    components: list[Any],
    platforms: list[Any],
    sources: list[Any],
    upstream: list[Any],
    mitigations: list[Any],
) -> StorySearchDocument:
    """Title and symptoms, then the words that describe the story, then its summary."""
    story_id, title, symptoms, summary_html, organization, published = row
    symptoms = symptoms or []
    meta: list[str] = [organization] if organization else []
    meta += [part for name, area in components for part in (name, area)]
    # A platform's aliases are its own short names (GKE, AKS), true of the story.
    meta += [part for name, aliases in platforms for part in (name, *aliases)]
    meta += [source_title for (source_title,) in sources]
    meta += [mitigation for mitigation, _ in mitigations]
    body = [html_to_text(summary_html)]
    body += [issue for issue, _ in upstream]
    body += [note for _, note in upstream]
    # What the story says about each mitigation, as its page shows it.
    body += [note for _, note in mitigations]
    body += symptoms
    return StorySearchDocument(
        story_id=story_id,
        title=title,
        symptoms="\n".join(str(symptom) for symptom in symptoms),
        meta=" · ".join(part for part in meta if part),
        body=" ".join(part for part in body if part),
        published=published,
    )


# The weighted tsvector: title and symptoms (A), description (B), summary (C).
_WEIGHTS = (("title", "A"), ("symptoms", "A"), ("meta", "B"), ("body", "C"))
_COLUMNS = ("story_id", "title", "symptoms", "meta", "body", "published")


def _insert_postgres(documents: list[StorySearchDocument]) -> None:
    """Insert the documents with their vectors, computed by the same statement: setting
    the vectors by an UPDATE after the insert wrote every row twice, and after an import
    the table held each row's old version's space too (274 MB at 100k stories instead of
    about 190), which every search that reads documents in order goes through."""
    if not documents:
        return
    table = StorySearchDocument._meta.db_table
    columns = ", ".join(_COLUMNS)
    vector = " || ".join(
        f"setweight(to_tsvector(%s::regconfig, COALESCE(v.{column}, '')), '{weight}')"
        for column, weight in _WEIGHTS
    )
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(documents))
    values: list[Any] = [
        value
        for d in documents
        for value in (d.story_id, d.title, d.symptoms, d.meta, d.body, d.published)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}, vector) SELECT v.*, {vector} "  # noqa: S608 - constant names
            f"FROM (VALUES {rows}) AS v ({columns})",
            [SEARCH_CONFIG] * len(_WEIGHTS) + values,
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
    existing = StorySearchDocument.objects.all()
    (existing if ids is None else existing.filter(pk__in=ids)).delete()
    if ids is None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS5_TABLE}")  # noqa: S608 - constant name
        ids = list(Story.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), _CHUNK):
        written += _write_documents(ids[start : start + _CHUNK])
    return written


def _write_documents(ids: list[int]) -> int:
    """Write the documents of the stories `ids`, whose old documents are gone."""
    documents = _documents(ids)
    if connection.vendor == "postgresql":
        _insert_postgres(documents)
    else:
        StorySearchDocument.objects.bulk_create(documents)
    if connection.vendor == "sqlite":
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS5_TABLE} WHERE rowid IN ({marks})", ids)  # noqa: S608
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
                words.update(_WORD.findall(text.casefold()))
    words = {word for word in words if 4 <= len(word) <= 40}
    if not words:
        return
    ordered = sorted(words)
    if connection.vendor == "postgresql":
        # Known words are skipped by ON CONFLICT DO NOTHING rather than looked up first: the
        # planner took the trigram index for that lookup, 30-40 ms for each 500 words.
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=w) for w in ordered], batch_size=_CHUNK, ignore_conflicts=True
        )
        return
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
