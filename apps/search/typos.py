"""Typo correction against the words of the published documents (SearchTerm).

PostgreSQL: pg_trgm similarity over a trigram GIN index. SQLite: candidates from the
FTS5 trigram table (and words sharing the first two letters), scored with pg_trgm's
formula so both engines choose the same word.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.db import connection

from apps.search.indexing import FTS5_TABLE, SEARCH_CONFIG
from apps.search.query import Group, ParsedQuery
from apps.search.thesaurus import STOP_WORDS

TERMS_FTS5 = "search_term_trigram"
SIMILARITY = 0.25
_CANDIDATES = 40
# Published documents read once per typo lookup to find common words without the index.
_SAMPLE = 100
_CORRECTABLE = re.compile(r"^[a-z][a-z0-9]{3,39}$")


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before, one after."""
    padded = f"  {word.casefold()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all distinct trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and
    swaps of two neighbouring letters ("etdc" -> "etcd" is one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def best_candidate(word: str, candidates: list[str]) -> str | None:
    """The candidate a typist most likely meant: fewest edits (a swapped or missing
    letter), then trigram similarity, then alphabetical, so both engines agree. Trigram
    similarity alone prefers a short word sharing a prefix ("corends" -> "core") over
    the word with two letters swapped ("coredns")."""
    scored = [
        (min(edit_distance(word, c), 3), -similarity(word, c), c)
        for c in candidates
        if similarity(word, c) >= SIMILARITY
    ]
    return min(scored)[2] if scored else None


@dataclass(frozen=True)
class Corrected:
    """A query with each unknown word widened by the closest indexed word, the corrections
    made (typed -> indexed word) and, on PostgreSQL, `tsqueries`: the tsquery (as text)
    of each text asked for and of each correction, quoted as an alternative."""

    query: ParsedQuery
    corrections: dict[str, str] = field(default_factory=dict)
    tsqueries: dict[str, str] = field(default_factory=dict)


def corrected(parsed: ParsedQuery, *, tsqueries_of: Sequence[str] = ()) -> Corrected:
    """`parsed` corrected. On PostgreSQL the same statement also reads
    websearch_to_tsquery() of each of `tsqueries_of`, so a search can write its tsqueries
    without a statement more (SQLite: none are read)."""
    wanted = {
        g.typed.casefold()
        for g in parsed.groups
        if len(g.alternatives) == 1
        and _CORRECTABLE.match(g.typed.casefold())
        and g.typed.casefold() not in STOP_WORDS
    }
    # PostgreSQL asks even with no word to correct, so searches cost a constant number
    # of queries.
    if not wanted and connection.vendor != "postgresql":
        return Corrected(parsed)
    tsqueries: dict[str, str] = {}
    if connection.vendor == "postgresql":
        found = _postgres(sorted(wanted), list(dict.fromkeys(tsqueries_of)), tsqueries)
    else:
        found = _sqlite(sorted(wanted))
    if not found:
        return Corrected(parsed, {}, tsqueries)
    groups = tuple(
        Group(typed=g.typed, alternatives=(*g.alternatives, found[g.typed.casefold()]))
        if g.typed.casefold() in found and len(g.alternatives) == 1
        else g
        for g in parsed.groups
    )
    corrections = {
        g.typed: found[g.typed.casefold()] for g in parsed.groups if g.typed.casefold() in found
    }
    return Corrected(replace(parsed, groups=groups), corrections, tsqueries)


def _postgres(words: list[str], texts: list[str], tsqueries: dict[str, str]) -> dict[str, str]:
    """The corrections of `words`; fills `tsqueries` with the tsquery of each of `texts`
    and of each candidate (quoted, as a query's alternatives are)."""
    # The term table keeps words of stories that were public once; a correction must
    # still occur in a published document, or it would show a retracted story's word.
    # Asking the GIN index builds the whole list of a word's documents before the first
    # is read: 4-6 ms for a common word at 100k stories, for each candidate. Common words
    # are found first among a few published documents read once (`sample`), so the index
    # is asked only for rarer words, whose lists are short. A candidate without a lexeme
    # (a stop word) matches no document, as before, without a notice per document.
    sql = (
        f"WITH sample AS MATERIALIZED (SELECT vector FROM search_storysearchdocument "  # noqa: S608
        f"WHERE published LIMIT {_SAMPLE}) "
        "SELECT q.w, ARRAY(SELECT ARRAY[t.word::text, websearch_to_tsquery(%s::regconfig, "
        "'\"' || t.word || '\"')::text] FROM search_searchterm t, "
        "plainto_tsquery(%s::regconfig, t.word) AS l(q) WHERE t.word %% q.w "
        "AND similarity(t.word, q.w) >= %s AND numnode(l.q) > 0 "
        "AND (EXISTS (SELECT 1 FROM sample s WHERE s.vector @@ l.q) "
        "OR EXISTS (SELECT 1 FROM search_storysearchdocument d WHERE d.published "
        "AND d.vector @@ l.q)) "
        "ORDER BY similarity(t.word, q.w) DESC, t.word "
        f"LIMIT {_CANDIDATES}), NULL FROM unnest(%s::text[]) AS q(w) WHERE NOT EXISTS "
        "(SELECT 1 FROM search_searchterm t WHERE t.word = q.w) "
        "UNION ALL SELECT a, NULL, websearch_to_tsquery(%s::regconfig, a)::text "
        "FROM unnest(%s::text[]) AS a"
    )
    # `%` uses pg_trgm.similarity_threshold, set to SIMILARITY when the connection opens
    # (config/settings.py), so no statement per search sets it.
    found: dict[str, str] = {}
    config = SEARCH_CONFIG
    with connection.cursor() as cursor:
        cursor.execute(sql, [config, config, SIMILARITY, words, config, texts])
        for word, candidates, tsquery in cursor.fetchall():
            if candidates is None:
                tsqueries[word] = tsquery
                continue
            best = best_candidate(word, [candidate for candidate, _ in candidates])
            if best:
                found[word] = best
                tsqueries.update((f'"{c}"', tsq) for c, tsq in candidates if c == best)
    return found


def _sqlite(words: list[str]) -> dict[str, str]:
    # One statement: each word's known spelling, its FTS5 trigram candidates and the
    # indexed words sharing its first two letters.
    branches, params = [], []
    for word in words:
        grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        branches += [
            "SELECT %s, word, 1 FROM search_searchterm WHERE word = %s",
            f"SELECT * FROM (SELECT %s, word, 0 FROM {TERMS_FTS5} WHERE {TERMS_FTS5} "  # noqa: S608
            f"MATCH %s ORDER BY rank LIMIT {_CANDIDATES})",
            "SELECT * FROM (SELECT %s, word, 0 FROM search_searchterm "
            "WHERE word >= %s AND word < %s ORDER BY word LIMIT 500)",
        ]
        params += [word, word, word, " OR ".join(f'"{g}"' for g in grams)]
        params += [word, word[:2], word[:2] + "\uffff"]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        rows = cursor.fetchall()
    known = {word for word, _, exact in rows if exact}
    candidates: dict[str, set[str]] = {}
    for word, candidate, _ in rows:
        candidates.setdefault(word, set()).add(candidate)
    ranked = {
        word: [
            c
            for score, c in sorted((-similarity(word, c), c) for c in options)
            if -score >= SIMILARITY
        ]
        for word, options in candidates.items()
        if word not in known
    }
    public = _in_published_documents({c for options in ranked.values() for c in options})
    found: dict[str, str] = {}
    for word, options in ranked.items():
        best = best_candidate(word, [c for c in options if c in public])
        if best is not None:
            found[word] = best
    return found


def _in_published_documents(words: set[str]) -> set[str]:
    """The words that occur in a published document: the term table also keeps words of
    stories that were public once, which a correction must never show."""
    if not words:
        return set()
    ordered = sorted(words)
    branch = (
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {FTS5_TABLE} f JOIN "  # noqa: S608
        "search_storysearchdocument d ON d.story_id = f.rowid "
        f"WHERE {FTS5_TABLE} MATCH %s AND d.published)"
    )
    params: list[str] = []
    for word in ordered:
        params += [word, f'"{word}"']
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([branch] * len(ordered)), params)
        return {row[0] for row in cursor.fetchall()}
