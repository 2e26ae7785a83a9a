"""Atom feeds: all stories, one component's stories, and any list/search URL."""

import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from apps.catalog.models import Component, Story
from apps.search.browse import browse_stories
from apps.search.paging import RankedStories
from apps.search.query import parse_query

FEED_SIZE = 50
# Characters XML 1.0 cannot hold; Django's feed writer raises on them.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_XML_RE.sub("", value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_text(item) for item in value)
    return value


class XMLSafeAtom1Feed(Atom1Feed):
    """Atom whose text never holds a character XML cannot, wherever the text came from
    (a query string, a title typed in the admin): a feed answers, it does not fail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            *map(_xml_text, args), **{key: _xml_text(value) for key, value in kwargs.items()}
        )

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(
            *map(_xml_text, args), **{key: _xml_text(value) for key, value in kwargs.items()}
        )


def _for_feed(stories: QuerySet[Story]) -> QuerySet[Story]:
    """What an entry shows: stored summary HTML, organization, component names."""
    return (
        stories.select_related("organization")
        .prefetch_related(Prefetch("components", queryset=Component.objects.only("name")))
        .only(
            "title",
            "slug",
            "summary_html",
            "created_at",
            "updated_at",
            "organization__name",
        )
    )


def _absolute(path: str) -> str:
    """Feeds name the site by SITE_URL, as pages, sitemaps and emails do, not by the
    Host header a request happened to carry."""
    return f"{settings.SITE_URL}{path}"


class _StoryFeed(Feed):
    feed_type = XMLSafeAtom1Feed

    def get_feed(self, obj: Any, request: HttpRequest) -> Any:
        feed = super().get_feed(obj, request)
        # rel="self" is this very feed, query string included (a search feed's query).
        feed.feed["feed_url"] = _absolute(request.get_full_path())
        return feed

    def item_title(self, item: Story) -> str:
        return item.title

    def item_description(self, item: Story) -> str:
        return item.summary_html

    def item_link(self, item: Story) -> str:
        return _absolute(item.get_absolute_url())

    def item_author_name(self, item: Story) -> str | None:
        return item.organization.name if item.organization else None

    def item_pubdate(self, item: Story) -> datetime.datetime:
        return item.created_at

    def item_updateddate(self, item: Story) -> datetime.datetime:
        return item.updated_at

    def item_categories(self, item: Story) -> list[str]:
        return [component.name for component in item.components.all()]


class StoriesFeed(_StoryFeed):
    title = "Kubernetes Failure Stories"
    subtitle = "Newly added public Kubernetes failure stories."

    def link(self) -> str:
        return _absolute(reverse("web:story-list"))

    def items(self) -> QuerySet[Story]:
        return _for_feed(Story.objects.public()).order_by("-created_at", "slug")[:FEED_SIZE]


class ComponentFeed(_StoryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Component:  # type: ignore[override]
        return get_object_or_404(Component, slug=slug)

    def title(self, obj: Component) -> str:
        return f"{obj.name} — Kubernetes Failure Stories"

    def subtitle(self, obj: Component) -> str:
        return f"Stories involving {obj.name}."

    def link(self, obj: Component) -> str:
        return _absolute(obj.get_absolute_url())

    def items(self, obj: Component) -> QuerySet[Story]:
        stories = Story.objects.public().with_component(obj.slug)
        return _for_feed(stories).order_by("-created_at", "slug")[:FEED_SIZE]


class SearchFeed(_StoryFeed):
    """The stories of any story-list URL: same parameters, same filters and order."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> QueryDict:  # type: ignore[override]
        return request.GET

    def title(self, obj: QueryDict) -> str:
        query = parse_query(obj.get("q")).text[:100]
        return f"Stories matching “{query}”" if query else "Filtered stories"

    def subtitle(self, obj: QueryDict) -> str:
        return "Kubernetes Failure Stories matching a saved search."

    def link(self, obj: QueryDict) -> str:
        encoded = obj.urlencode()
        return _absolute(reverse("web:story-list") + (f"?{encoded}" if encoded else ""))

    def items(self, obj: QueryDict) -> QuerySet[Story] | list[Story]:
        browse = browse_stories(obj, offers=False)
        search = browse.search
        if search is not None and browse.sort == "relevance":
            # The first FEED_SIZE of the ranked window (then newest matches), read by id:
            # no ORDER BY over every match.
            if search.matches is None:
                return []
            return RankedStories(search, _for_feed(search.matches))[:FEED_SIZE]
        return _for_feed(browse.stories)[:FEED_SIZE]

    def feed_extra_kwargs(self, obj: QueryDict) -> dict[str, Any]:
        return {"updated": timezone.now()}
