"""What the list page offers next to a search: facets the query names ("Filter to Cluster
DNS?") and, when nothing matched, other searches that will find something."""

import json
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.http import QueryDict

from apps.catalog.models import Component, Platform
from apps.core.querystrings import with_params
from apps.search.query import ParsedQuery
from apps.search.thesaurus import phrase_key

# Searches that always find stories in the curated catalogue.
EXAMPLES = ("CPU throttling", "DNS timeouts", "etcd", "OOMKilled", "leader election")


@dataclass(frozen=True)
class Suggestion:
    text: str
    url: str


@lru_cache(maxsize=1024)
def _names(name: str, slug: str, aliases: str) -> frozenset[str]:
    """The names a query may use for a component or platform, `aliases` being their JSON
    text as stored (kept: every search page compares the query with all of them)."""
    return frozenset(phrase_key(n) for n in (name, slug, *json.loads(aliases)) if n)


def _taxonomy() -> list[tuple[int, str, str, str]]:
    """(kind: 0 a component, 1 a platform, name, slug, aliases as stored JSON text), the
    components, then the platforms, each by name: one statement written out, as the ORM
    took 1.2 ms of CPU to build and read it (a union, and each row's JSON decoded)."""
    component, platform = Component._meta.db_table, Platform._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, name, slug, aliases FROM {component} UNION ALL "  # noqa: S608 - table names
            f"SELECT 1, name, slug, aliases FROM {platform} ORDER BY 1, 2"
        )
        return cursor.fetchall()


def facet_offers(query: ParsedQuery, params: QueryDict) -> list[Suggestion]:
    """A filter link for each component or platform the query names, by name, slug or
    alias, that is not already selected."""
    if query.is_empty:
        return []
    typed = {phrase_key(g.typed) for g in query.groups} | {phrase_key(w) for w in query.words}
    offers = []
    for kind, item_name, slug, aliases in _taxonomy():
        label, text = (("component", "Filter to"), ("platform", "On"))[kind]
        selected = set(params.getlist(label))
        if slug not in selected and typed & _names(item_name, slug, aliases):
            url = with_params(params, **{label: [*selected, slug], "page": None})
            offers.append(Suggestion(f"{text} {item_name}?", url))
    return offers[:4]


def no_result_suggestions(query: ParsedQuery, params: QueryDict) -> list[Suggestion]:
    """Searches to try when nothing matched: without the filters, without the
    exclusions, and each word on its own."""
    suggestions = []
    filters = [name for name in params if name not in ("q", "page", "sort")]
    if filters:
        keep = QueryDict(mutable=True)
        keep["q"] = params.get("q", "")
        suggestions.append(Suggestion("The same search in all stories", f"?{keep.urlencode()}"))
    if query.excluded:
        words = " ".join(g.typed for g in query.groups)
        suggestions.append(
            Suggestion(f"“{words}” without exclusions", with_params(params, q=words))
        )
    for group in query.groups[:4]:
        for alternative in group.alternatives[1:3]:
            suggestions.append(Suggestion(f"“{alternative}”", with_params(params, q=alternative)))
    for example in EXAMPLES:
        suggestions.append(Suggestion(f"“{example}”", with_params(params, q=example)))
    return suggestions[:10]
