"""Story pagination whose cost does not grow with the page number or the catalogue."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


class StoryPaginator(Paginator):
    """A Paginator over an ordered queryset. The count may be given when already known
    (stored catalogue counts); a page in the second half is read from the end in reverse
    order, so the last page skips as few rows as the first."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int = PAGE_SIZE, *, count: int | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # fills the cached_property

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.object_list
        if bottom <= self.count // 2 or not isinstance(queryset, QuerySet) or not queryset.ordered:
            return super().page(number)
        rows = list(queryset.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return Page(rows, number, self)


def paginate(
    request: HttpRequest, stories: QuerySet[Any], *, count: int | None = None
) -> dict[str, Any]:
    """The context of a paginated story list: page_obj, paginator, is_paginated, stories.
    A page number that is not one is the first page; past the end, the last."""
    paginator = StoryPaginator(stories, count=count)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "paginator": paginator,
        "is_paginated": paginator.num_pages > 1,
        "stories": page.object_list,
    }
