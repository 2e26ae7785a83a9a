"""One answer to "which public stories match these parameters, in what order".

Used by the story list page and the search feed, and in parts (narrowing, search and
sort) by the API's filters, so that every surface filters, searches and sorts the same way.
"""

import datetime
from dataclasses import dataclass, field
from typing import cast

from django.db.models import Exists, OuterRef
from django.http import QueryDict

from apps.catalog.filters import StoryFilterSet
from apps.catalog.models import Source, Story, StoryQuerySet
from apps.search.engine import SearchResults, search_stories
from apps.search.query import MAX_QUERY_LENGTH, MAX_TERMS, ParsedQuery, parse_query
from apps.search.suggestions import Suggestion, facet_offers, no_result_suggestions

SORTS = {
    "relevance": "Best match",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "added": "Recently added",
    "title": "Title A to Z",
}
ORDERINGS = {
    "newest": ("-published_on", "slug"),
    "oldest": ("published_on", "slug"),
    "added": ("-created_at", "slug"),
    "title": ("title", "slug"),
}


@dataclass
class Browse:
    query: ParsedQuery
    sort: str
    stories: StoryQuerySet
    filterset: StoryFilterSet
    search: SearchResults | None = None
    messages: list[str] = field(default_factory=list)
    active: list[tuple[str, str]] = field(default_factory=list)
    offers: list[Suggestion] = field(default_factory=list)
    params: QueryDict | None = None

    def suggestions(self) -> list[Suggestion]:
        """Other searches to try; the page asks only when nothing matched."""
        return no_result_suggestions(self.query, self.params or QueryDict())

    @property
    def whole_catalogue(self) -> bool:
        """True when every public story matches, so stored catalogue counts apply."""
        return not self.active and not self.searching

    @property
    def single_value(self) -> tuple[str, str] | None:
        """(filter, value) when one value of one filter is all that narrows the stories."""
        return self.active[0] if len(self.active) == 1 and not self.searching else None

    @property
    def searching(self) -> bool:
        return self.search is not None


def browse_stories(
    params: QueryDict, *, base: StoryQuerySet | None = None, offers: bool = True
) -> Browse:
    """Filter, search and sort public stories from request parameters.

    Invalid parameters never raise: they are ignored and explained in `messages`.
    `offers=False` skips the filter links a page shows for a search (feeds show none).
    """
    stories = Story.objects.public() if base is None else base
    filterset = StoryFilterSet(params, queryset=stories)
    messages = filterset.error_messages()
    active = active_filters(filterset, params)
    filtered = narrowed(stories, filterset, params) if active else stories

    ordered, query, search, sort, more = search_and_sort(
        filtered, q=params.get("q"), sort=params.get("sort", "")
    )
    messages += more
    return Browse(
        query=query,
        sort=sort,
        stories=ordered,
        filterset=filterset,
        search=search,
        messages=messages,
        active=active,
        offers=facet_offers(query, params) if search and offers else [],
        params=params,
    )


def narrowed(stories: StoryQuerySet, filterset: StoryFilterSet, params: QueryDict) -> StoryQuerySet:
    """The filterset's stories as EXISTS conditions on ids it resolved (components must
    all match, other facets any of their values): no DISTINCT over every column, no join
    through slugs, so the planner walks the date index and the (component, story) index."""
    data = filterset.form.cleaned_data
    known = {"component", "area", "platform", "impact", "kind", "organization"}
    if {name for name, _ in active_filters(filterset, params)} - known - {"year_from", "year_to"}:
        return stories.filter(pk__in=filterset.qs.order_by().values("pk"))
    story = OuterRef("pk")
    components = Story.components.through.objects
    for component in data.get("component") or []:
        stories = stories.filter(Exists(components.filter(story=story, component=component)))
    if areas := data.get("area"):
        stories = stories.filter(Exists(components.filter(story=story, component__area__in=areas)))
    if platforms := data.get("platform"):
        through = Story.platforms.through.objects
        stories = stories.filter(Exists(through.filter(story=story, platform__in=platforms)))
    if impacts := data.get("impact"):
        links = Story.impacts.through.objects
        stories = stories.filter(Exists(links.filter(story=story, impactkind__in=impacts)))
    if kinds := data.get("kind"):
        stories = stories.filter(Exists(Source.objects.filter(story=story, kind__in=kinds)))
    if organizations := data.get("organization"):
        stories = stories.filter(organization__in=organizations)
    if data.get("year_from") is not None:
        stories = stories.filter(published_on__gte=datetime.date(data["year_from"], 1, 1))
    if data.get("year_to") is not None:
        stories = stories.filter(published_on__lt=datetime.date(data["year_to"] + 1, 1, 1))
    return stories


def active_filters(filterset: StoryFilterSet, params: QueryDict) -> list[tuple[str, str]]:
    """(filter, value) for every valid, non-empty filter value that narrows the stories."""
    errors = filterset.form.errors
    return [
        (name, value)
        for name in filterset.filters
        if name not in errors
        for value in dict.fromkeys(params.getlist(name))
        if value
    ]


def _search_notes(search: SearchResults) -> list[str]:
    notes = []
    query = search.query
    if query.normalised:
        words = " ".join(g.typed for g in query.groups)
        notes.append(
            f"Log noise (times, addresses, ids, paths) was left out: searched for “{words}”."
        )
    for typed, word in search.corrections.items():
        notes.append(f"“{typed}” was also searched as “{word}”.")
    if 0 < search.full_count < search.total and len(query.groups) > 1:
        every = "story matches" if search.full_count == 1 else "stories match"
        notes.append(
            f"Only {search.full_count} {every} every word; stories matching some of them follow."
        )
    if search.partial:
        notes.append(
            "No story matches every word, so stories matching the most of them come first."
        )
    if search.capped:
        notes.append(
            f"Many stories match: {len(search.story_ids):,} of them are ranked by relevance and "
            "come first; the others follow, newest first."
        )
    return notes


def search_and_sort(
    stories: StoryQuerySet, *, q: str | None, sort: str
) -> tuple[StoryQuerySet, ParsedQuery, SearchResults | None, str, list[str]]:
    """Search within `stories` and order them; unknown sorts fall back with a message."""
    messages = []
    query = parse_query(q)
    if query.truncated:
        messages.append(
            f"Your search was shortened to its first {MAX_QUERY_LENGTH:,} characters "
            f"(cut at a word boundary) and {MAX_TERMS} distinct words."
        )
    if query.text and query.is_empty:
        messages.append("There is no word to search for in that query, so all stories are shown.")

    search = None
    if not query.is_empty:
        search = search_stories(query, stories)
        if search.problem:
            messages.append(search.problem)
        messages += _search_notes(search)
        stories = cast(
            StoryQuerySet, search.matches if search.matches is not None else stories.none()
        )

    default = "relevance" if search else "newest"
    chosen = sort if sort in SORTS else default
    if sort and sort not in SORTS:
        messages.append(f"Unknown sort {sort!r}; showing {SORTS[default].lower()}.")
    if chosen == "relevance" and not search:
        chosen = "newest"
    if chosen == "relevance" and search:
        ordered = cast(StoryQuerySet, search.ranked())
    else:
        ordered = stories.order_by(*ORDERINGS[chosen])
    return ordered, query, search, chosen, messages
