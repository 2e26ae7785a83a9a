"""Pages of story lists as the HTML pages ask for and show them (the paginator itself is
apps.catalog.paging)."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from apps.catalog.cards import with_tags
from apps.catalog.paging import StoryPaginator


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


class NumberedPagesMixin:
    """ListView's pagination with this site's pages: the page requested_page() reads (a
    NoSuchPage 404 rather than Django's), the numbered links of page_context(). Views that
    know their count give their paginator through get_paginator()."""

    request: HttpRequest

    def requested_page(self, paginator: Paginator) -> Page:
        return requested_page(paginator, self.request)

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple[Paginator, Page, Any, bool]:
        """(paginator, page, the page's rows, is_paginated), as ListView expects."""
        paginator = self.get_paginator(queryset, page_size)  # type: ignore[attr-defined]
        page = self.requested_page(paginator)
        return paginator, page, page.object_list, paginator.num_pages > 1

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(page_context(context["paginator"], context["page_obj"]))
        return context


def paginate(
    request: HttpRequest, stories: QuerySet[Any], *, count: int | None = None
) -> dict[str, Any]:
    """The context of a paginated story list: page_context's, plus `stories` (with their
    card's tags)."""
    paginator = StoryPaginator(stories, count=count)
    page = requested_page(paginator, request)
    return {**page_context(paginator, page), "stories": with_tags(page.object_list)}
