import math
from collections import OrderedDict
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from apps.catalog.paging import StoryPaginator
from apps.search.paging import RankedPaginator, RankedStories

MAX_PAGE = 1_000_000


def _positive_int(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"{raw!r} is not a whole number."]}) from None
    if not 1 <= value <= maximum:
        raise ValidationError({name: [f"Must be between 1 and {maximum}."]})
    return value


class Pagination(PageNumberPagination):
    """Page numbers with a total count. A page past the end is an empty page, honestly
    saying so; a malformed page or page size is a 400.

    A search ranked by relevance is paged as the story list page pages it: the ranked
    window by id, then the other matches newest first, and `count` is the search's own
    total. That total is exact unless very many stories match; it is then the database's
    estimate and `count_estimated` is true (as are `pages`, and `next` follows the rows
    found, so every match stays reachable). Other sorts of such a search take the same
    estimate. Every list answer has `count_estimated`."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.request = request
        size = _positive_int(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )
        number = _positive_int(request, self.page_query_param, 1, MAX_PAGE)
        known = getattr(view, "known_count", None)
        total = known() if known is not None else None  # counted already (stored totals)
        search = getattr(view, "search_results", None)
        self.estimated = False
        if search is not None and getattr(view, "ranked_by_search", False):
            ranked = RankedPaginator(RankedStories(search, queryset), size)
            self.estimated = ranked.estimated
            self.count, self.number, self.num_pages = ranked.count, number, ranked.num_pages
            if number > ranked.num_pages and not self.estimated:
                self.more = False
                return []
            page = ranked.page(number)
            self.more = page.has_next()
            return list(page.object_list)
        if search is not None and search.estimated:
            # Another sort of a search that very many stories match: its estimate, marked,
            # and `next` from the rows found, rather than a count over every match.
            self.estimated = True
            self.count, self.number = search.total, number
            self.num_pages = max(1, math.ceil(search.total / size))
            rows = list(queryset[(number - 1) * size : number * size + 1])
            self.more = len(rows) > size
            return rows[:size]
        if search is not None and total is None:
            total = search.total  # exact: no second count over the matches
        if getattr(view, "paged_by_slug", False) and not getattr(view, "searching", True):
            # A page's slugs from the index first, deep pages from the end: any page
            # costs what the first does.
            paginator: Paginator = StoryPaginator(queryset, size, count=total)
        else:
            paginator = Paginator(queryset, size)
            if total is not None:
                paginator.__dict__["count"] = total
        self.count = paginator.count
        self.number = number
        self.num_pages = paginator.num_pages
        self.more = number < paginator.num_pages
        if number > paginator.num_pages:
            return []
        return list(paginator.page(number).object_list)

    def _link(self, number: int | None) -> str | None:
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data: Any) -> Response:
        following = self.number + 1 if self.more else None
        previous = min(self.number - 1, self.num_pages) if self.number > 1 else None
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("count_estimated", self.estimated),
                    ("page", self.number),
                    ("pages", self.num_pages),
                    ("next", self._link(following)),
                    ("previous", self._link(previous)),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        base = super().get_paginated_response_schema(schema)
        base["properties"]["count_estimated"] = {
            "type": "boolean",
            "description": (
                "True when `count` (and so `pages`) is the database's estimate rather than "
                "an exact count: only for a search that very many stories match."
            ),
            "example": False,
        }
        base["properties"]["page"] = {"type": "integer", "example": 1}
        base["properties"]["pages"] = {"type": "integer", "example": 5}
        base["required"] = [
            "count",
            "count_estimated",
            "page",
            "pages",
            "next",
            "previous",
            "results",
        ]
        return base

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the end is empty.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Results per page, 1 to {self.max_page_size} (default {self.page_size})."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
