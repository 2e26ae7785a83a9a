"""Story pagination whose cost does not grow with the page number or the catalogue."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

PAGE_SIZE = 20


class StoryPaginator(Paginator):
    """A Paginator over an ordered queryset of rows with a unique slug. The count may be
    given when already known (stored catalogue counts). A page's slugs are read first, so
    skipping rows reads an index only; a page in the second half is read from the end in
    reverse order, so the last page skips as few rows as the first."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int = PAGE_SIZE, *, count: int | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # fills the cached_property

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or not queryset.ordered:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        from_end = bottom > self.count // 2
        window = (
            queryset.reverse()[self.count - top : self.count - bottom]
            if from_end
            else queryset[bottom:top]
        )
        # Skip rows in the narrow (status, date, slug) index, then fetch only the page.
        slugs = list(window.prefetch_related(None).values_list("slug", flat=True))
        if from_end:
            slugs.reverse()
        rows = {row.slug: row for row in queryset.filter(slug__in=slugs)}
        return Page([rows[slug] for slug in slugs if slug in rows], number, self)


class NoSuchPage(Http404):
    """A page number that is not one, or past the end: a 404 whose page says which, rather
    than another page shown silently under that address."""


def requested_page(paginator: Paginator, request: HttpRequest) -> Page:
    """The page the URL asks for (`?page=N` or `?page=last`; the first without it), or
    NoSuchPage."""
    raw = request.GET.get("page", "")
    if raw == "":
        return paginator.page(1)
    if raw == "last":
        return paginator.page(paginator.num_pages)
    try:
        number = int(raw)
    except ValueError:
        raise NoSuchPage(f"“{raw[:20]}” is not a page number.") from None
    if not 1 <= number <= paginator.num_pages:
        pages = f"{paginator.num_pages} page{'s' if paginator.num_pages != 1 else ''}"
        raise NoSuchPage(f"There is no page {number}: this list has {pages}.")
    return paginator.page(number)


def page_context(paginator: Paginator, page: Page) -> dict[str, Any]:
    """What templates/web/_pagination.html needs: numbered links around the current page,
    the first and the last, with the gaps elided."""
    return {
        "page_obj": page,
        "paginator": paginator,
        "is_paginated": paginator.num_pages > 1,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
    }


def paginate(
    request: HttpRequest, stories: QuerySet[Any], *, count: int | None = None
) -> dict[str, Any]:
    """The context of a paginated story list: page_context's, plus `stories`."""
    paginator = StoryPaginator(stories, count=count)
    page = requested_page(paginator, request)
    return {**page_context(paginator, page), "stories": page.object_list}
