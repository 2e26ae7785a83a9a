"""One answer to "which public stories match these parameters, in what order".

Used by the story list page, the search feed and (later) the API, so that every
surface filters, searches and sorts the same way.
"""

from dataclasses import dataclass, field
from typing import cast

from django.http import QueryDict

from apps.catalog.filters import StoryFilterSet
from apps.catalog.models import Story, StoryQuerySet
from apps.search.engine import SearchResults, search_stories
from apps.search.query import MAX_QUERY_LENGTH, ParsedQuery, parse_query

SORTS = {
    "relevance": "Best match",
    "newest": "Newest first",
    "oldest": "Oldest first",
}


@dataclass
class Browse:
    query: ParsedQuery
    sort: str
    stories: StoryQuerySet
    filterset: StoryFilterSet
    search: SearchResults | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def searching(self) -> bool:
        return self.search is not None


def browse_stories(params: QueryDict, *, base: StoryQuerySet | None = None) -> Browse:
    """Filter, search and sort public stories from request parameters.

    Invalid parameters never raise: they are ignored and explained in `messages`.
    """
    stories = Story.objects.public() if base is None else base
    filterset = StoryFilterSet(params, queryset=stories)
    filtered = cast(StoryQuerySet, filterset.qs.distinct())
    messages = filterset.error_messages()

    query = parse_query(params.get("q"))
    if query.truncated:
        messages.append(f"Your search was shortened to its first {MAX_QUERY_LENGTH} characters.")
    if query.text and query.is_empty:
        messages.append("There is no word to search for in that query, so all stories are shown.")

    search = None
    if not query.is_empty:
        search = search_stories(query, filtered)
        if search.problem:
            messages.append(search.problem)
        filtered = filtered.filter(pk__in=search.story_ids)

    requested = params.get("sort", "")
    default = "relevance" if search else "newest"
    sort = requested if requested in SORTS else default
    if requested and requested not in SORTS:
        messages.append(f"Unknown sort {requested!r}; showing {SORTS[default].lower()}.")
    if sort == "relevance" and not search:
        sort = "newest"

    if sort == "relevance" and search:
        ordered = filtered.order_by(search.ordering(), "slug")
    elif sort == "oldest":
        ordered = filtered.order_by("published_on", "slug")
    else:
        ordered = filtered.order_by("-published_on", "slug")
    return Browse(
        query=query,
        sort=sort,
        stories=ordered,
        filterset=filterset,
        search=search,
        messages=messages,
    )
