"""Filter backends: strict parameter checks, story search and sort, simple name search."""

from typing import Any, cast

import django_filters
from django.db.models import Q, QuerySet
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.catalog.models import StoryQuerySet
from apps.search.browse import SORTS, active_filters, narrowed, search_and_sort
from apps.search.engine import RANKED, SAMPLED
from apps.search.query import MAX_QUERY_LENGTH


def check_parameters(request: Request, view: APIView) -> None:
    """Reject what no parameter may hold, before anything reaches the database: NUL
    characters anywhere, and empty values for filters that take a choice or a number
    (django-filter would silently ignore those)."""
    filterset = getattr(view, "filterset_class", None)
    strict = {
        name
        for name, item in (filterset.base_filters.items() if filterset else [])
        if not isinstance(item, django_filters.CharFilter)
    } | {"sort"}
    problems: dict[str, list[str]] = {}
    for name, values in request.query_params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            problems[name] = ["Contains a NUL character."]
        elif name in strict and any(value == "" for value in values):
            problems[name] = ["Must not be empty; leave the parameter out instead."]
    if problems:
        raise ValidationError(problems)


def _query_text(request: Request) -> str:
    text = request.query_params.get("q", "")
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError({"q": [f"At most {MAX_QUERY_LENGTH} characters."]})
    return text


class StoryFilterBackend(DjangoFilterBackend):
    """The site's story filters, with the same queries as the list page: EXISTS on the ids
    the filterset resolved, so a filtered page reads the date index, not a DISTINCT over
    every matching story. Invalid values are a 400, as with any filterset. The active
    filters are left on the view as `active_filters` (name, value) pairs, and the stories
    they select as `filtered_stories`."""

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        active = active_filters(filterset, request.query_params)
        if active:
            queryset = narrowed(cast(StoryQuerySet, queryset), filterset, request.query_params)
        view.active_filters = active  # type: ignore[attr-defined]
        view.filtered_stories = queryset  # type: ignore[attr-defined]
        return queryset


class StorySearchBackend(BaseFilterBackend):
    """`q`: the site's full-text search; `sort`: relevance, newest, oldest, added, title."""

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        sort = request.query_params.get("sort", "")
        if "sort" in request.query_params and sort not in SORTS:
            raise ValidationError({"sort": [f"Must be one of: {', '.join(SORTS)}."]})
        ordered, _, search, chosen, _ = search_and_sort(
            cast(StoryQuerySet, queryset), q=_query_text(request), sort=sort
        )
        view.searching = search is not None  # type: ignore[attr-defined]
        # The pagination counts and pages a search from its results (the ranked window,
        # then the matches newest first) instead of counting and sorting every match.
        view.search_results = search  # type: ignore[attr-defined]
        view.ranked_by_search = search is not None and chosen == "relevance"  # type: ignore[attr-defined]
        return ordered

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "q",
                "in": "query",
                "required": False,
                "description": (
                    'Full-text search: words (stemmed), "phrases", -exclusions. '
                    "Results are ranked by relevance unless `sort` says otherwise: the "
                    f"best {RANKED} matches first (of the first {SAMPLED} found when more than "
                    f"{RANKED} match every word), then the other matches newest first. "
                    "When many stories match, `count` may be the database's estimate; "
                    "`count_estimated` then says so."
                ),
                "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
            },
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": "Order of results (default: relevance when searching, else newest).",
                "schema": {"type": "string", "enum": list(SORTS)},
            },
        ]


class NameSearchBackend(BaseFilterBackend):
    """`q`: case-insensitive match on the fields a view lists in `search_fields`."""

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        text = " ".join(_query_text(request).split())
        if not text:
            return queryset
        condition = Q()
        for name in getattr(view, "search_fields", ()):
            condition |= Q(**{f"{name}__icontains": text})
        return queryset.filter(condition)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "q",
                "in": "query",
                "required": False,
                "description": "Case-insensitive text match on names and titles.",
                "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
            }
        ]
