"""Pages of search results: the ranked window is read by id, the matches after it
newest first, so a page costs the same statements wherever it falls; with an estimated
total (also in the other sorts of a search), "next" follows the rows found rather than
the estimate, so every match is reachable."""

import math
from typing import Any

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Q, QuerySet

from apps.catalog.models import Story
from apps.search.engine import SearchResults


class RankedStories:
    """The matches of a search as a sliceable sequence of stories, best first."""

    def __init__(self, search: SearchResults, rows: QuerySet[Story]) -> None:
        self.search = search
        self.rows = rows  # the stories to show (public, with what a list shows)

    def count(self) -> int:
        return self.search.total

    def __len__(self) -> int:
        return self.search.total

    def __getitem__(self, key: slice) -> list[Story]:
        """The stories of positions [start:stop], read in one statement (the ranked ids
        of the window, and past it the next matches newest first, as a subquery)."""
        start, stop = key.start or 0, key.stop
        window = self.search.story_ids
        ids = window[start:stop]
        wanted = Q(pk__any_of=ids)
        if self.search.capped and (stop is None or stop > len(window)):
            skip = max(0, start - len(window))
            end = None if stop is None else stop - len(window)
            wanted |= Q(pk__in=self.search.beyond_window().values("pk")[skip:end])
        found = {story.pk: story for story in self.rows.filter(wanted)}
        ranked = [found.pop(pk) for pk in ids if pk in found]
        rest = sorted(found.values(), key=lambda story: story.slug)
        rest.sort(key=lambda story: story.published_on, reverse=True)
        return ranked + rest


class RankedPage(Page):
    def __init__(
        self, rows: list[Story], number: int, paginator: Paginator, more: bool | None
    ) -> None:
        super().__init__(rows, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return super().has_next() if self.more is None else self.more


class SearchPaginator(Paginator):
    """Pages of a search's matches, `count` being the search's total: with an estimated
    total, any page number is accepted and each page reads one row more than it shows,
    so "next" follows the rows found rather than the estimate."""

    def __init__(self, rows: Any, per_page: int, *, count: int, estimated: bool) -> None:
        super().__init__(rows, per_page)
        self.__dict__["count"] = count  # fills the cached_property
        self.estimated = estimated

    def validate_number(self, number: Any) -> int:
        if not self.estimated:
            return super().validate_number(number)
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise InvalidPage("That page number is not an integer") from None
        if value < 1:
            raise InvalidPage("That page number is less than 1")
        return value

    def page(self, number: Any) -> RankedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.estimated:
            rows = list(self.object_list[bottom : bottom + self.per_page])
            return RankedPage(rows, number, self, more=None)
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return RankedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number: Any) -> RankedPage:
        try:
            return self.page(number)
        except InvalidPage:
            return self.page(1 if not str(number).isdigit() else max(1, self.num_pages))


class RankedPaginator(SearchPaginator):
    """Pages of RankedStories, best first."""

    def __init__(self, stories: RankedStories, per_page: int) -> None:
        search = stories.search
        super().__init__(stories, per_page, count=search.total, estimated=search.estimated)
        self.stories = stories


def about(count: int) -> int:
    """An estimate rounded to two significant figures, as shown ("about 25,000")."""
    if count < 100:
        return count
    scale = 10 ** (int(math.log10(count)) - 1)
    return int(round(count / scale) * scale)
