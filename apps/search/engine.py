"""Ranked full-text search over stories: one function, one results contract, two engines.

PostgreSQL: weighted tsvector with a GIN index, queried with websearch_to_tsquery and
ranked by ts_rank. SQLite: FTS5 with the Porter stemmer, ranked by bm25. Title weighs
most, then the descriptive words (organization, components and aliases, sources,
mitigations), then the summary.
"""

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.catalog.models import Story
from apps.search.indexing import FTS5_TABLE, SEARCH_CONFIG
from apps.search.models import StorySearchDocument
from apps.search.query import ParsedQuery, parse_query

MAX_RESULTS = 1000
_START, _STOP = "\x02", "\x03"
# ts_rank weights are given as {D, C, B, A}; bm25 weights per column
# (title, meta, body, aliases).
_PG_WEIGHTS = [0.02, 0.2, 0.4, 1.0]
_BM25_WEIGHTS = (10.0, 4.0, 1.0, 0.2)


@dataclass
class SearchResults:
    """Matching story ids, best first, restricted to the stories searched in."""

    query: ParsedQuery
    story_ids: list[int] = field(default_factory=list)
    problem: str = ""

    def ordering(self) -> Case:
        """An ORDER BY expression that keeps the ranking of `story_ids`."""
        return Case(
            *[When(pk=pk, then=Value(position)) for position, pk in enumerate(self.story_ids)],
            default=Value(len(self.story_ids)),
            output_field=IntegerField(),
        )


def search_stories(query: str | ParsedQuery, stories: QuerySet[Story]) -> SearchResults:
    """Rank the stories of `stories` that match `query`.

    `stories` is the set the caller may show (always derived from Story.objects.public()
    for public surfaces); nothing outside it is ever returned.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    results = SearchResults(query=parsed)
    if parsed.is_empty:
        return results
    candidates = stories.order_by().values("pk")
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                results.story_ids = _postgres_ids(parsed, candidates)
            else:
                results.story_ids = _sqlite_ids(parsed, candidates)
    except DatabaseError:
        results.problem = "That search could not be run. Try plain words."
    return results


def _postgres_ids(parsed: ParsedQuery, candidates: QuerySet) -> list[int]:  # type: ignore[type-arg]
    tsquery = SearchQuery(parsed.websearch(), search_type="websearch", config=SEARCH_CONFIG)
    return list(
        StorySearchDocument.objects.filter(story__in=candidates, vector=tsquery)
        .annotate(rank=SearchRank(F("vector"), tsquery, weights=_PG_WEIGHTS))
        .order_by("-rank", "story_id")
        .values_list("story_id", flat=True)[:MAX_RESULTS]
    )


def _sqlite_ids(parsed: ParsedQuery, candidates: QuerySet) -> list[int]:  # type: ignore[type-arg]
    subquery, params = candidates.query.sql_with_params()
    weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
    sql = (
        f"SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s "  # noqa: S608
        f"AND rowid IN ({subquery}) ORDER BY bm25({FTS5_TABLE}, {weights}), rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [parsed.fts5(), *params, MAX_RESULTS])
        return [row[0] for row in cursor.fetchall()]


def _highlight(text: str) -> SafeString:
    marked = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(marked)  # noqa: S308 - escaped above; only <mark> added


@dataclass(frozen=True)
class Highlight:
    """A result's title and best summary passage, escaped, with matches in <mark>."""

    title: SafeString
    passage: SafeString


def snippets(query: ParsedQuery, story_ids: list[int]) -> dict[int, Highlight]:
    """Highlighted titles and summary passages of these stories, in one query."""
    if query.is_empty or not story_ids:
        return {}
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                rows = _postgres_highlights(query, story_ids)
            else:
                rows = _sqlite_highlights(query, story_ids)
    except DatabaseError:
        return {}
    return {
        pk: Highlight(title=_highlight(title), passage=_highlight(passage or ""))
        for pk, title, passage in rows
    }


def _postgres_highlights(query: ParsedQuery, story_ids: list[int]) -> list[tuple[int, str, str]]:
    tsquery = SearchQuery(query.websearch(), search_type="websearch", config=SEARCH_CONFIG)
    return list(
        StorySearchDocument.objects.filter(story_id__in=story_ids)
        .annotate(
            marked_title=SearchHeadline(
                "title",
                tsquery,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                highlight_all=True,
            ),
            passage=SearchHeadline(
                "body",
                tsquery,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .values_list("story_id", "marked_title", "passage")
    )


def _sqlite_highlights(query: ParsedQuery, story_ids: list[int]) -> list[tuple[int, str, str]]:
    marks = ", ".join(["%s"] * len(story_ids))
    sql = (
        f"SELECT rowid, highlight({FTS5_TABLE}, 0, char(2), char(3)), "  # noqa: S608
        f"snippet({FTS5_TABLE}, 2, char(2), char(3), ' … ', 30) "
        f"FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s AND rowid IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query.fts5(), *story_ids])
        return list(cursor.fetchall())
