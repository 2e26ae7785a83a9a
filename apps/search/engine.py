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

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Case,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.catalog.models import Story
from apps.core.lookups import bigint_array
from apps.search.indexing import FTS5_TABLE, SEARCH_CONFIG
from apps.search.models import StorySearchDocument
from apps.search.query import Group, ParsedQuery, group_fts5, parse_query, quoted
from apps.search.typos import corrected

# The ranked window: at most this many matches are ranked, best first; further matches
# follow newest first. On PostgreSQL they are the first RANKED found through the GIN
# index (a common word matches a third of a large catalogue, and ranking every match
# reads every match's vector); on SQLite the RANKED best by bm25.
RANKED = 500
_START, _STOP = "\x02", "\x03"
# ts_rank weights are given as {D, C, B, A}; bm25 weights per FTS5 column
# (title, symptoms, meta, body).
_PG_WEIGHTS = [0.05, 0.2, 0.4, 1.0]
_BM25_WEIGHTS = (10.0, 10.0, 4.0, 1.0)
# Equally ranked stories, on both engines and however the index was built: newest first,
# then by slug (ids differ between databases holding the same catalogue).
_STORY_TABLE = Story._meta.db_table
_TIEBREAK = "s.published_on DESC, s.slug"
# With fewer stories than this matching every group, stories matching some follow them.
FEW = 20
# Near matches (all groups but one) are looked for first in partial searches of up to
# this many groups; longer queries go straight to stories matching any group.
_NEAR_GROUPS = 8
# When more stories than RANKED match every group, the window is the first SAMPLED of
# them found, ranked: ranking reads each candidate's vector and weighs every alternative
# of the query, and with thousands of matches the window is a sample of them either way.
# So for the stories matching some groups, when few match every group and more than
# RANKED match some: the first SAMPLED of those follow the full and near matches.
SAMPLED = 200
# The near matches (all groups but one) are looked for among at most this many
# candidates; the other tiers stop after RANKED + 1 matches.
EXAMINED = 2 * RANKED


@dataclass
class SearchResults:
    """Matching story ids, best first, restricted to the stories searched in.

    `story_ids`: the ranked window (at most RANKED ids). `total`: how many stories match,
    exact unless `estimated` (then extrapolated from the part of the documents' table in
    which the matches found lay: see `_extrapolated`).
    `matches`: every matching story (unordered), for paging past the window and other
    sorts. `full_count`: how many of the ranked match every word (when fewer than FEW do,
    stories matching some words follow them). `partial`: no story matched every word.
    `corrections`: typed word -> the indexed word it was also searched as. `highlight`
    (PostgreSQL): the tsquery, as text, whose words the highlights mark: every
    alternative once.
    """

    query: ParsedQuery
    story_ids: list[int] = field(default_factory=list)
    total: int = 0
    estimated: bool = False
    problem: str = ""
    partial: bool = False
    full_count: int = 0
    corrections: dict[str, str] = field(default_factory=dict)
    matches: QuerySet[Story] | None = None
    highlight: str = ""

    @property
    def capped(self) -> bool:
        """True when more stories match than were ranked."""
        return self.total > len(self.story_ids)

    def ordering(self) -> "WindowPosition":
        """An ORDER BY expression that keeps the ranking of `story_ids` (others last)."""
        return WindowPosition(self.story_ids)

    def ranked(self) -> QuerySet[Story]:
        """Every match: the ranked window best first, then the others newest first."""
        if self.matches is None:
            return Story.objects.none()
        if not self.story_ids:
            return self.matches.order_by("-published_on", "slug")
        return self.matches.order_by(self.ordering(), "-published_on", "slug")

    def beyond_window(self) -> QuerySet[Story]:
        """The matches after the ranked window, newest first."""
        if self.matches is None:
            return Story.objects.none()
        return self.matches.exclude(pk__in=self.story_ids).order_by("-published_on", "slug")


class WindowPosition(Func):
    """A story's place in a list of ids, as one parameter whatever the list's length (a
    CASE of one branch per id cost more to build than the rest of a search); ids not in
    the list sort after it. PostgreSQL: array_position() over an array; SQLite: where
    ",<id>," occurs in ",id,id,...," (positions grow with the list's order)."""

    output_field = IntegerField()

    def __init__(self, ids: list[int]) -> None:
        super().__init__(F("pk"))
        self.ids = list(ids)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        listed = ",".join(str(pk) for pk in self.ids)
        if connection.vendor == "postgresql":
            sql = f"COALESCE(array_position(%s::bigint[], {column}), %s)"
            return sql, (bigint_array(self.ids), *params, len(self.ids) + 1)
        sql = f"COALESCE(NULLIF(instr(%s, ',' || {column} || ','), 0), %s)"
        return sql, (f",{listed},", *params, len(listed) + 3)


def search_stories(query: str | ParsedQuery, stories: QuerySet[Story]) -> SearchResults:
    """Rank the stories of `stories` that match `query`.

    `stories` is the set the caller may show (always derived from Story.objects.public()
    for public surfaces); nothing outside it is ever returned. A constant number of
    statements whatever the query and the catalogue's size.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    results = SearchResults(query=parsed)
    if parsed.is_empty:
        return results
    try:
        with _isolated():
            lookup = corrected(parsed, tsqueries_of=_PostgresQueries.texts(parsed))
            parsed, results.corrections = lookup.query, lookup.corrections
            results.query = parsed
            if connection.vendor == "postgresql":
                queries = _PostgresQueries.of(parsed, lookup.tsqueries)
                _postgres_ranked(queries, stories, results)
                results.highlight = queries.highlight
            else:
                _sqlite_ranked(parsed, stories, results)
    except DatabaseError:
        results.problem = "That search could not be run. Try plain words."
        results.story_ids, results.total, results.matches = [], 0, None
    return results


def _isolated() -> AbstractContextManager:
    """A savepoint inside a transaction, so that a failed search statement leaves it
    usable; nothing in autocommit (the site's mode), where a failed statement affects no
    other and BEGIN and COMMIT would be two more round trips per search."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _tsquery(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _postgres_ranked(
    queries: "_PostgresQueries", stories: QuerySet[Story], results: SearchResults
) -> None:
    """One statement: the ranked window with the number of full and partial matches found
    (each tier stops after RANKED + 1 rows) and the blocks of the documents' table each
    tier found them in, from which a tier that stopped estimates all its matches."""
    of_stories = _EachRow(stories.filter(pk=OuterRef("story_id")))
    allowed = _where(StorySearchDocument.objects.filter(of_stories))
    sql, params = _window_statement(queries, allowed)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    results.story_ids = [row[0] for row in rows]
    full_count, any_found, full_read, any_read, blocks = (
        rows[0][1:] if rows else (0, 0, None, None, 0)
    )
    results.full_count = full_count
    widened = queries.several and full_count < FEW
    results.partial = not full_count and bool(rows)
    query = queries.matches_any if widened else queries.matches_all
    results.matches = stories.filter(search_document__published=True, search_document__vector=query)
    found, read = (any_found, any_read) if widened else (full_count, full_read)
    if found <= RANKED:
        results.total = found
    else:
        results.total, results.estimated = _extrapolated(found, read, blocks), True


def _extrapolated(found: int, read: list[int | None] | None, blocks: int) -> int:
    """All the matches of a tier that stopped after `found`, having found them between
    blocks `read` (first, last) of the documents' table's `blocks`: the index's and the
    table's scans both return rows in the table's order, so the rest of the table holds
    as many per block. Counted from the first block found in, not the table's first: with
    hundreds of matches the first lies close to where the live rows begin, after any
    space that earlier row versions left. (The planner's estimate, the other cheap
    answer, multiplies the frequencies of a query's words as if they were independent:
    "About 500" for 3,500 matches of a pasted error at 100k stories, "About 37,000" for
    12,700 of a question.)"""
    first, last = read or (None, None)
    if first is None or last is None or blocks <= last:
        return found
    return max(found, round(found * (blocks - first) / (last - first + 1)))


class _TsQuery(SearchQuery):
    """A tsquery written out as text (read by tsquery_in, so neither parsed nor stemmed
    again); the empty text is the empty query, which matches nothing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    # Parameters as a list, as Func's are: the @@ lookup adds them to the vector's.
    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list[str]]:
        return "%s::tsquery", [self.text]


def _either(parts: list[str]) -> str:
    """`a | b | ...` as PostgreSQL combines tsqueries: an empty part adds nothing."""
    kept = [part for part in parts if part]
    return " | ".join(f"( {part} )" for part in kept) if len(kept) > 1 else "".join(kept)


def _both(parts: list[str]) -> str:
    """`a & b & ...`, an empty part adding nothing (PostgreSQL's && of tsqueries)."""
    kept = [part for part in parts if part]
    return " & ".join(f"( {part} )" for part in kept) if len(kept) > 1 else "".join(kept)


_OPERAND = r"'(?:[^']|'')*'"
_CHAIN = re.compile(rf"{_OPERAND}(?: <(?:-|[0-9]+)> {_OPERAND})*")
_CHAIN_PART = re.compile(rf"({_OPERAND})|<(-|[0-9]+)>")


def _chain(tsquery: str) -> tuple[list[str], list[str]] | None:
    """A phrase's operands and the distances between them ("-" for <->), or None when
    `tsquery` is not a word or a phrase of words."""
    if not _CHAIN.fullmatch(tsquery):
        return None
    parts = _CHAIN_PART.findall(tsquery)
    return [word for word, _ in parts if word], [gap for word, gap in parts if not word]


def _implies(query: str, other: str) -> bool:
    """True when every document `query` matches is matched by `other` within the same
    places: `other` is one word of the phrase `query`, or a run of its words side by side
    (<->). Ranking by the two together is then ranking by `other` alone: ts_rank_cd's
    covers of `other` hold its words only (each place holds one word), and no cover of
    `query` is not one of `other`."""
    mine, theirs = _chain(query), _chain(other)
    if mine is None or theirs is None:
        return False
    (words, gaps), (their_words, their_gaps) = mine, theirs
    if len(their_words) == 1:
        return their_words[0] in words
    if any(gap != "-" for gap in their_gaps):
        return False
    size = len(their_words)
    return any(
        words[i : i + size] == their_words and all(g == "-" for g in gaps[i : i + size - 1])
        for i in range(len(words) - size + 1)
    )


def _simplest(tsqueries: list[str]) -> list[str]:
    """Alternatives that match (and rank) as all of `tsqueries` do, fewer: each once, and
    none that another implies (the thesaurus's "OOM killed" next to "oom", "cpu
    throttling" next to "throttling"). ts_rank_cd reads every operand of its query for
    each candidate: a group's phrases made ranking a few times slower."""
    unique = list(dict.fromkeys(t for t in tsqueries if t))
    return [t for t in unique if not any(o != t and _implies(t, o) for o in unique)]


@dataclass(frozen=True)
class _PostgresQueries:
    """The tsqueries of a parsed query, as text: one per group, and the stories matching
    every group, all groups but one (near) and any group, each without the exclusions.
    Written from each alternative's websearch_to_tsquery(), read with the typo lookup."""

    groups: list[str]
    alternatives: list[str]
    excluded: str
    # Every alternative once, none dropped (a dropped phrase's words would go unmarked):
    # ts_headline reads each operand for every word of the text, and the thesaurus repeats
    # some ("DNS lookup" and "dns lookups"): with them twice, a page's passages took twice
    # as long.
    highlight: str

    @staticmethod
    def _excluded_text(parsed: ParsedQuery) -> str:
        return " OR ".join(f'"{t}"' for t in parsed.excluded)

    @classmethod
    def texts(cls, parsed: ParsedQuery) -> list[str]:
        """The websearch_to_tsquery() inputs whose tsqueries `of` needs."""
        texts = [quoted(a) for g in parsed.groups for a in g.alternatives]
        return [*texts, cls._excluded_text(parsed)] if parsed.excluded else texts

    @classmethod
    def of(cls, parsed: ParsedQuery, tsqueries: dict[str, str]) -> "_PostgresQueries":
        per_group = [[tsqueries[quoted(a)] for a in g.alternatives] for g in parsed.groups]
        excluded = tsqueries[cls._excluded_text(parsed)] if parsed.excluded else ""
        groups = [_either(_simplest(alternatives)) for alternatives in per_group]
        every = [t for alternatives in per_group for t in alternatives]
        return cls(groups, _simplest(every), excluded, _either(list(dict.fromkeys(every))))

    @property
    def several(self) -> bool:
        return len(self.groups) > 1

    def without_excluded(self, query: str) -> _TsQuery:
        if not self.excluded:
            return _TsQuery(query)
        if not query:
            return _TsQuery(f"!( {self.excluded} )")
        return _TsQuery(f"( {query} ) & !( {self.excluded} )")

    @property
    def group_queries(self) -> list[_TsQuery]:
        return [_TsQuery(group) for group in self.groups]

    @property
    def matches_any(self) -> _TsQuery:
        return self.without_excluded(_either(self.alternatives))

    @property
    def matches_all(self) -> _TsQuery:
        return self.without_excluded(_both(self.groups))

    @property
    def all_groups_but_one(self) -> _TsQuery:
        groups = self.groups
        return _TsQuery(_either([_both(groups[:i] + groups[i + 1 :]) for i in range(len(groups))]))

    @property
    def matches_near(self) -> _TsQuery:
        return self.without_excluded(self.all_groups_but_one.text)


class _EachRow(Exists):
    """The condition that a document is one of the stories given, checked row by row (a probe of
    the stories' primary key for each candidate) where it is asked: OFFSET 0 keeps
    PostgreSQL from turning it into a join. The tiers stop after RANKED + 1 allowed rows;
    as a join, the planner read the whole stories table in key order to meet a few
    hundred candidates once it expected them to be a few percent of the catalogue."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


# The documents' table, also the name each tier's CTE of matches is read under, so that
# the compiled condition on the stories searched (which names the table) applies to it.
_DOCUMENTS = f'"{StorySearchDocument._meta.db_table}"'
# `vector @@ query` with the query's phrase operators (<->, <N>) read as AND: the GIN index
# answers it without reading the documents, and it matches at least the stories that the
# query matches (a tier's `positive` query has no negated phrase: exclusions are left out).
_PHRASELESS = "regexp_replace(CAST(%s::tsquery AS text), '<(-|[0-9]+)>', '&', 'g')::tsquery"
# The block of the documents' table a row was read from.
_BLOCK = f"CAST((CAST({_DOCUMENTS}.ctid AS text)::point)[0] AS bigint) AS block"
# ts_rank weights as SearchRank writes them (float8 literals cast to float4).
_RANK_WEIGHTS = f"('{{{','.join(str(w) for w in _PG_WEIGHTS)}}}'::float8[])::float4[]"

Compiled = tuple[str, tuple]


def _window_statement(queries: _PostgresQueries, allowed: Compiled) -> tuple[str, list]:
    """The statement reading the ranked window: rows of (story id, stories matching every
    group found, stories matching any group found, the first and last blocks of the
    documents' table that each of those two tiers found its rows in, the table's blocks).
    `allowed`: the compiled condition that
    a document is one of the stories searched. Written out rather than built through the
    ORM, which took a few milliseconds of every search to compile it."""
    ctes, params, any_count, any_read = _tier_ctes(queries, allowed)
    ranked_sql, ranked_params = _ranked_window(queries)
    sql = (
        f"WITH {', '.join(ctes)} SELECT r.story_id, (SELECT COUNT(*) FROM full_match), "  # noqa: S608
        f"{any_count}, (SELECT ARRAY[MIN(block), MAX(block)] FROM full_match), {any_read}, "
        f"pg_relation_size('{_DOCUMENTS}'::regclass) / current_setting('block_size')::bigint "
        f"FROM ({ranked_sql}) r"
    )
    return sql, [*params, *ranked_params]


def _tier_ctes(queries: _PostgresQueries, allowed: Compiled) -> tuple[list[str], list, str, str]:
    """The CTEs of the candidates (full matches; with several groups and few full
    matches, near and any matches too), their parameters, and the SQL counting the any
    matches found and reading the first and last blocks they were found in."""
    ctes: list[str] = []
    params: list = []

    def tier(name: str, query: _TsQuery, gate: str = "", positive: str | None = None) -> None:
        sql, tier_params = _tier(name, query.text, allowed, gate, positive)
        ctes.extend(sql)
        params.extend(tier_params)

    tier("full_match", queries.matches_all)
    tiers = [_sampled("full_match")]
    any_count, any_read = "0", "NULL"
    if queries.several:
        # Asked only when few stories match every group (a one-time filter in the plan).
        gate = f"(SELECT COUNT(*) FROM full_match) < {FEW}"  # noqa: S608 - a constant
        if len(queries.groups) <= _NEAR_GROUPS and len(queries.groups) > 2:
            tier("near_match", queries.matches_near, gate, queries.all_groups_but_one.text)
            tiers.append("SELECT story_id FROM near_match")
        tier("any_match", queries.matches_any, gate)
        tiers.append(_sampled("any_match"))
        any_count = "(SELECT COUNT(*) FROM any_match)"
        any_read = "(SELECT ARRAY[MIN(block), MAX(block)] FROM any_match)"
    ctes.append(f"candidates AS ({' UNION '.join(tiers)})")
    return ctes, params, any_count, any_read


def _sampled(name: str) -> str:
    """The stories of tier `name`: all of them, or when more than RANKED were found (it
    stops after RANKED + 1) the first SAMPLED found."""
    sample = f"SELECT CASE WHEN COUNT(*) > {RANKED} THEN {SAMPLED} END FROM {name}"  # noqa: S608 - constant names
    return f"(SELECT story_id FROM {name} LIMIT ({sample}))"  # noqa: S608 - constant names


def _tier(
    name: str, query: str, allowed: Compiled, gate: str, positive: str | None = None
) -> tuple[list[str], list]:
    """CTEs of `<name>_found`, the published matches of `query`, and `<name>`, the first
    RANKED + 1 of them among the allowed stories (and only when `gate` holds), each with
    the block of the documents' table it was read from (_extrapolated). With
    `positive` (`query` before its exclusions), a bounded tier: `<name>_seen` reads at
    most EXAMINED candidates that the GIN index finds for `positive` with its phrases
    read as AND, and `<name>_found` keeps those matching `query`."""
    d = _DOCUMENTS
    if positive is None:
        # Every match through the GIN index, read lazily: the tier stops after one more
        # than the window (finding it tells that more stories match). With the LIMIT in
        # the same query the planner walks the primary key instead, reading vectors
        # until enough match: most of the table when few do.
        found = [
            f"{name}_found AS MATERIALIZED (SELECT {d}.story_id, {_BLOCK} FROM {d} "  # noqa: S608 - constants
            f"WHERE {d}.published AND {d}.vector @@ %s::tsquery)"
        ]
        found_params = [query]
    else:
        # A phrase is checked against each candidate's positions (GIN cannot). Stories
        # matching all groups but one are few, while the thesaurus's phrases ("dns
        # lookups": dns queries, name resolution...) have thousands of candidates at 100k
        # stories holding the words apart, every one read to find those few: bounded.
        found = [
            f"{name}_seen AS MATERIALIZED (SELECT {d}.story_id, {_BLOCK}, {d}.vector @@ "  # noqa: S608 - constants
            f"%s::tsquery AS search_matched FROM {d} WHERE {d}.vector @@ {_PHRASELESS} AND "
            f"{d}.published)",
            f"{name}_found AS MATERIALIZED (SELECT story_id, block FROM (SELECT * FROM "  # noqa: S608 - constants
            f"{name}_seen LIMIT {EXAMINED}) seen WHERE search_matched)",
        ]
        found_params = [query, positive]
    allowed_sql, allowed_params = allowed
    return [
        *found,
        f"{name} AS MATERIALIZED (SELECT {d}.story_id, {d}.block FROM {name}_found {d} "  # noqa: S608 - compiled, parameters apart
        f"WHERE {allowed_sql}{f' AND {gate}' if gate else ''} LIMIT {RANKED + 1})",
    ], [*found_params, *allowed_params]


def _ranked_window(queries: _PostgresQueries) -> tuple[str, list]:
    """The candidates, best first: by the number of groups matched, then ts_rank_cd, then
    newest first; at most RANKED of them."""
    d = _DOCUMENTS
    order, params = [], []
    if queries.several:
        # With FEW or more full matches the candidates are those alone, all covering
        # every group: no need to test each group against each of them.
        covered = " + ".join(
            f"CASE WHEN {d}.vector @@ %s::tsquery THEN 1 ELSE 0 END" for _ in queries.groups
        )
        few_full = f"(SELECT COUNT(*) FROM full_match) < {FEW}"  # noqa: S608 - constants
        order.append(f"CASE WHEN {few_full} THEN {covered} ELSE 0 END DESC")
        params += queries.groups
    order.append(f"ts_rank_cd({_RANK_WEIGHTS}, {d}.vector, %s::tsquery, 1) DESC")
    params.append(queries.matches_any.text)
    order.append('s.published_on DESC, s.slug COLLATE "C"')
    sql = (
        f"SELECT {d}.story_id FROM {d} JOIN {_STORY_TABLE} s ON s.id = {d}.story_id "  # noqa: S608 - constants
        f"WHERE {d}.story_id IN (SELECT story_id FROM candidates) "
        f"ORDER BY {', '.join(order)} LIMIT {RANKED}"
    )
    return sql, params


def _where(queryset: QuerySet) -> tuple[str, tuple]:
    """The WHERE clause of `queryset`, compiled, without the rest of its query."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.compile(queryset.query.where)
    return sql, tuple(params)


def _sqlite_ranked(parsed: ParsedQuery, stories: QuerySet[Story], results: SearchResults) -> None:
    subquery, params = stories.order_by().values("pk").query.sql_with_params()
    weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
    # bm25() cannot share a SELECT with a window function: scores come from a subquery.
    full_sql = (
        "SELECT rowid, COUNT(*) OVER () FROM (SELECT rowid, "  # noqa: S608
        f"bm25({FTS5_TABLE}, {weights}) AS score FROM {FTS5_TABLE} WHERE {FTS5_TABLE} "
        f"MATCH %s AND rowid IN ({subquery}) LIMIT -1) f JOIN {_STORY_TABLE} s ON s.id = "
        f"f.rowid ORDER BY score, {_TIEBREAK} LIMIT %s"
    )
    expression = parsed.fts5()
    with connection.cursor() as cursor:
        cursor.execute(full_sql, [expression, *params, RANKED])
        rows = cursor.fetchall()
        results.full_count = rows[0][1] if rows else 0
        if results.full_count < FEW and len(parsed.groups) > 1:
            # One MATCH per group; a story's coverage is the number of groups it satisfies.
            branches, branch_params = [], []
            for group in parsed.groups:
                branches.append(
                    f"SELECT rowid, bm25({FTS5_TABLE}, {weights}) AS score FROM {FTS5_TABLE} "  # noqa: S608
                    f"WHERE {FTS5_TABLE} MATCH %s"
                )
                branch_params.append(_with_exclusions(parsed, group))
            sql = (
                "SELECT rowid, COUNT(*) OVER () FROM (SELECT rowid, count(*) AS covered, "  # noqa: S608
                f"sum(score) AS score FROM ({' UNION ALL '.join(branches)}) "
                f"WHERE rowid IN ({subquery}) GROUP BY rowid) f JOIN {_STORY_TABLE} s "
                f"ON s.id = f.rowid ORDER BY covered DESC, score, {_TIEBREAK} LIMIT %s"
            )
            cursor.execute(sql, [*branch_params, *params, RANKED])
            some = cursor.fetchall()
            results.partial = not rows and bool(some)
            # Stories matching every word first, in their order, then the others.
            full = {row[0] for row in rows}
            rows = rows + [row for row in some if row[0] not in full][: RANKED - len(rows)]
            total = some[0][1] if some else 0
            expression = " OR ".join(f"({part})" for part in branch_params)
        else:
            total = results.full_count
    results.story_ids = [row[0] for row in rows]
    results.total = total
    matching = RawSQL(  # noqa: S611 - constant table name; the expression is a parameter
        f"SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s",  # noqa: S608
        (expression,),
    )
    results.matches = stories.filter(pk__in=matching)


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
        with _isolated():
            if connection.vendor == "postgresql":
                rows = _postgres_highlights(query, story_ids)
            else:
                rows = _sqlite_highlights(query, story_ids)
    except DatabaseError:
        return {}
    return _highlights(rows)


_HEADLINES = ("headline_title", "headline_symptoms", "headline_passage")


def with_highlights(search: SearchResults, stories: QuerySet[Story]) -> QuerySet[Story]:
    """On PostgreSQL, `stories` with the highlights of `search` computed by the statement
    that reads them, so a page of results needs no statement of its own for them (see
    `page_snippets`); elsewhere `stories` unchanged."""
    if search.query.is_empty or connection.vendor != "postgresql":
        return stories
    tsquery = _TsQuery(search.highlight) if search.highlight else None
    return stories.annotate(**_postgres_headlines(search.query, "search_document__", tsquery))


def page_snippets(query: ParsedQuery, stories: list[Story]) -> dict[int, Highlight]:
    """snippets() of a page of stories, read from what `with_highlights` added to them
    when it did (PostgreSQL), else in one query."""
    if query.is_empty or not stories:
        return {}
    if all(hasattr(story, _HEADLINES[0]) for story in stories):
        return _highlights(
            [
                (story.pk, *(getattr(story, name) for name in _HEADLINES))
                for story in stories
                if getattr(story, _HEADLINES[0]) is not None
            ]
        )
    return snippets(query, [story.pk for story in stories])


def _highlights(rows: list[tuple[int, str, str, str]]) -> dict[int, Highlight]:
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


class _Headline(SearchHeadline):
    """SearchHeadline with its options' text written once per set of options: Django
    quotes each option through the connection for every headline of every row it is
    compiled for: about 1 ms of the 5 of CPU that reading a page of results took."""

    options: dict[str, Any]  # set by SearchHeadline.__init__
    _texts: dict[tuple, str] = {}

    def as_sql(  # type: ignore[override]
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
    ) -> tuple[str, list]:
        key = tuple(self.options.items())
        if key not in self._texts:
            quoted = (connection.ops.compose_sql(f"{name}=%s", [value]) for name, value in key)
            self._texts[key] = ", ".join(quoted)
        sql, params = Func.as_sql(
            self, compiler, connection, function=function, template=template, options=", %s"
        )
        return sql, [*params, self._texts[key]]


def _postgres_headlines(
    query: ParsedQuery, prefix: str = "", tsquery: SearchQuery | None = None
) -> dict[str, Expression]:
    """ts_headline of the document's title, symptoms and body, under _HEADLINES' names;
    `prefix` is the path from the queried model to the document; `tsquery` the words to
    mark, by default every alternative of `query`. The body's passage is shown only when
    no symptom matched, and only then computed (the longest text)."""
    if tsquery is None:
        tsquery = _tsquery(query.any_websearch())
    marks = {"config": SEARCH_CONFIG, "start_sel": _START, "stop_sel": _STOP}
    title, symptoms, passage = _HEADLINES

    def symptom_lines() -> SearchHeadline:
        return _Headline(
            f"{prefix}symptoms",
            tsquery,
            max_words=30,
            min_words=5,
            max_fragments=1,
            **marks,  # type: ignore[arg-type]
        )

    body = _Headline(
        f"{prefix}body",
        tsquery,
        max_words=35,
        min_words=15,
        max_fragments=2,
        fragment_delimiter=" … ",
        **marks,  # type: ignore[arg-type]
    )
    symptom_matched = GreaterThan(StrIndex(symptom_lines(), Value(_STOP)), 0)
    return {
        title: _Headline(f"{prefix}title", tsquery, highlight_all=True, **marks),  # type: ignore[arg-type]
        symptoms: symptom_lines(),
        passage: Case(
            When(symptom_matched, then=Value("")), default=body, output_field=TextField()
        ),
    }


def _postgres_highlights(
    query: ParsedQuery, story_ids: list[int]
) -> list[tuple[int, str, str, str]]:
    return list(
        StorySearchDocument.objects.filter(story_id__in=story_ids)
        .annotate(**_postgres_headlines(query))
        .values_list("story_id", *_HEADLINES)
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
