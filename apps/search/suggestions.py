"""What the list page offers next to a search: facets the query names ("Filter to Cluster
DNS?") and, when nothing matched, other searches that will find something."""

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Value
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
def _names(name: str, slug: str, aliases: tuple[str, ...]) -> frozenset[str]:
    """The names a query may use for a component or platform (kept: every search page
    compares the query with all of them)."""
    return frozenset(phrase_key(n) for n in (name, slug, *aliases) if n)


def facet_offers(query: ParsedQuery, params: QueryDict) -> list[Suggestion]:
    """A filter link for each component or platform the query names, by name, slug or
    alias, that is not already selected."""
    if query.is_empty:
        return []
    typed = {phrase_key(g.typed) for g in query.groups} | {phrase_key(w) for w in query.words}
    # Components, then platforms, each by name: one statement for both.
    columns = ("offer_kind", "name", "slug", "aliases")
    rows = (
        Component.objects.order_by()
        .annotate(offer_kind=Value(0))
        .values_list(*columns)
        .union(
            Platform.objects.order_by().annotate(offer_kind=Value(1)).values_list(*columns),
            all=True,
        )
        .order_by("offer_kind", "name")
    )
    offers = []
    for kind, item_name, slug, aliases in rows:
        label, text = (("component", "Filter to"), ("platform", "On"))[kind]
        selected = set(params.getlist(label))
        if slug not in selected and typed & _names(item_name, slug, tuple(aliases)):
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
