"""Ranked full-text search over stories: one function, one results contract, two engines.

PostgreSQL: weighted tsvector with a GIN index over published documents, queried with
websearch_to_tsquery and ranked by ts_rank_cd (cover density, so words close together
count more). SQLite: FTS5 with the Porter stemmer, ranked by bm25. Title and symptoms
weigh most, then the descriptive words (organization, components, platforms, sources,
mitigations), then the summary.

A query is a list of groups (a word or phrase with its alternatives). Stories that
satisfy every group come first and alone; when none does, stories satisfying some
groups are ranked by how many they cover, then by rank ("partial" results).
"""

from dataclasses import dataclass, field
from functools import reduce

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, Expression, F, IntegerField, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.catalog.models import Story
from apps.search.indexing import FTS5_TABLE, SEARCH_CONFIG
from apps.search.models import StorySearchDocument
from apps.search.query import Group, ParsedQuery, group_fts5, group_websearch, parse_query
from apps.search.typos import corrected

# SQLite ranks in Python-visible id lists; a cap keeps the ORDER BY CASE small.
MAX_RESULTS = 1000
_START, _STOP = "\x02", "\x03"
# ts_rank weights are given as {D, C, B, A}; bm25 weights per FTS5 column
# (title, symptoms, meta, body).
_PG_WEIGHTS = [0.05, 0.2, 0.4, 1.0]
_BM25_WEIGHTS = (10.0, 10.0, 4.0, 1.0)


@dataclass
class SearchResults:
    """Matching story ids, best first, restricted to the stories searched in.

    `partial`: no story matched every word, so these match some of them.
    `corrections`: typed word -> the indexed word it was also searched as.
    """

    query: ParsedQuery
    found_ids: list[int] | None = None
    problem: str = ""
    partial: bool = False
    corrections: dict[str, str] = field(default_factory=dict)
    ordered: QuerySet[Story] | None = None

    @property
    def story_ids(self) -> list[int]:
        """The first MAX_RESULTS matching ids, best first (read on demand on PostgreSQL,
        where pages read `ordered` instead)."""
        if self.found_ids is None:
            ordered = self.ordered
            self.found_ids = (
                [] if ordered is None else list(ordered.values_list("pk", flat=True)[:MAX_RESULTS])
            )
        return self.found_ids

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
    for public surfaces); nothing outside it is ever returned. On PostgreSQL
    `results.ordered` is the ranked queryset (all matches, for paging); `story_ids` holds
    its first MAX_RESULTS ids on both engines.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    results = SearchResults(query=parsed)
    if parsed.is_empty:
        return results
    try:
        with transaction.atomic():
            parsed, results.corrections = corrected(parsed)
            results.query = parsed
            if connection.vendor == "postgresql":
                results.ordered, results.partial = _postgres_ranked(parsed, stories)
            else:
                results.found_ids, results.partial = _sqlite_ids(parsed, stories)
    except DatabaseError:
        results.problem = "That search could not be run. Try plain words."
        results.found_ids, results.ordered = [], None
    return results


def _tsquery(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _postgres_ranked(parsed: ParsedQuery, stories: QuerySet[Story]) -> tuple[QuerySet[Story], bool]:
    groups = [_tsquery(group_websearch(g)) for g in parsed.groups]
    matches_any = reduce(lambda a, b: a | b, groups)
    matches_all = reduce(lambda a, b: a & b, groups)
    base = stories.filter(search_document__published=True)
    if parsed.excluded:
        excluded = _tsquery(" OR ".join(f'"{t}"' for t in parsed.excluded))
        matches_any &= ~excluded
        matches_all &= ~excluded
    rank = SearchRank(
        F("search_document__vector"), matches_any, weights=_PG_WEIGHTS, cover_density=True
    )
    full = base.filter(search_document__vector=matches_all)
    # Asked even for one group, so every search runs the same number of queries.
    if full.exists() or len(groups) == 1:
        return full.annotate(search_rank=rank).order_by("-search_rank", "slug"), False
    covered: Expression = Value(0)
    for group in groups:
        covered = covered + Case(When(Q(search_document__vector=group), then=1), default=0)
    partial = (
        base.filter(search_document__vector=matches_any)
        .annotate(search_covered=covered, search_rank=rank)
        .order_by("-search_covered", "-search_rank", "slug")
    )
    return partial, True


def _sqlite_ids(parsed: ParsedQuery, stories: QuerySet[Story]) -> tuple[list[int], bool]:
    subquery, params = stories.order_by().values("pk").query.sql_with_params()
    weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
    full_sql = (
        f"SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s "  # noqa: S608
        f"AND rowid IN ({subquery}) ORDER BY bm25({FTS5_TABLE}, {weights}), rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(full_sql, [parsed.fts5(), *params, MAX_RESULTS])
        ids = [row[0] for row in cursor.fetchall()]
        if ids or len(parsed.groups) == 1:
            return ids, False
        # One MATCH per group; a story's coverage is the number of groups it satisfies.
        branches, branch_params = [], []
        for group in parsed.groups:
            branches.append(
                f"SELECT rowid, bm25({FTS5_TABLE}, {weights}) AS score FROM {FTS5_TABLE} "  # noqa: S608
                f"WHERE {FTS5_TABLE} MATCH %s"
            )
            branch_params.append(_with_exclusions(parsed, group))
        sql = (
            f"SELECT rowid FROM ({' UNION ALL '.join(branches)}) "  # noqa: S608
            f"WHERE rowid IN ({subquery}) GROUP BY rowid "
            "ORDER BY count(*) DESC, sum(score), rowid LIMIT %s"
        )
        cursor.execute(sql, [*branch_params, *params, MAX_RESULTS])
        return [row[0] for row in cursor.fetchall()], True


def _with_exclusions(parsed: ParsedQuery, group: Group) -> str:
    expression = group_fts5(group)
    for text in parsed.excluded:
        expression = f'{expression} NOT "{text.replace(chr(34), chr(34) * 2)}"'
    return expression


def _highlight(text: str) -> SafeString:
    marked = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(marked)  # noqa: S308 - escaped above; only <mark> added


@dataclass(frozen=True)
class Highlight:
    """A result's title and the passage that shows why it matched (a symptom when one
    matched, else the best summary passage), escaped, with matches in <mark>."""

    title: SafeString
    passage: SafeString
    symptom: bool = False


def snippets(query: ParsedQuery, story_ids: list[int]) -> dict[int, Highlight]:
    """Highlighted titles and passages of these stories, in one query."""
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
    result = {}
    for pk, title, symptoms, passage in rows:
        symptom = _STOP in (symptoms or "")
        # Only the symptom lines that matched: they say why the story was found.
        matched = [line for line in (symptoms or "").splitlines() if _STOP in line]
        shown = " · ".join(matched[:2]) if symptom else passage
        result[pk] = Highlight(
            title=_highlight(title), passage=_highlight(shown or ""), symptom=symptom
        )
    return result


def _postgres_highlights(
    query: ParsedQuery, story_ids: list[int]
) -> list[tuple[int, str, str, str]]:
    tsquery = _tsquery(query.any_websearch())
    marks = {"config": SEARCH_CONFIG, "start_sel": _START, "stop_sel": _STOP}
    return list(
        StorySearchDocument.objects.filter(story_id__in=story_ids)
        .annotate(
            marked_title=SearchHeadline("title", tsquery, highlight_all=True, **marks),  # type: ignore[arg-type]
            marked_symptoms=SearchHeadline(
                "symptoms",
                tsquery,
                max_words=30,
                min_words=5,
                max_fragments=1,
                **marks,  # type: ignore[arg-type]
            ),
            passage=SearchHeadline(
                "body",
                tsquery,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
                **marks,  # type: ignore[arg-type]
            ),
        )
        .values_list("story_id", "marked_title", "marked_symptoms", "passage")
    )


def _sqlite_highlights(query: ParsedQuery, story_ids: list[int]) -> list[tuple[int, str, str, str]]:
    marks = ", ".join(["%s"] * len(story_ids))
    sql = (
        f"SELECT rowid, highlight({FTS5_TABLE}, 0, char(2), char(3)), "  # noqa: S608
        f"snippet({FTS5_TABLE}, 1, char(2), char(3), ' … ', 24), "
        f"snippet({FTS5_TABLE}, 3, char(2), char(3), ' … ', 30) "
        f"FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s AND rowid IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query.any_fts5(), *story_ids])
        return list(cursor.fetchall())
