"""`?expand=summary,sources,upstream` on the story list, so a client can mirror the public
catalogue a hundred stories a page instead of one detail call per story.

Without `expand` the list is exactly the compact form. Each expansion costs one query per
page at most (sources and upstream links are prefetched), whatever the page size.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.api.serializers import SourceSerializer, StoryListSerializer, StoryUpstreamSerializer
from apps.catalog.models import StoryUpstreamIssue

EXPANDABLE = ("summary", "sources", "upstream")


def expand_fields(request: Request | None) -> frozenset[str]:
    """The expansions a request asks for (comma-separated, or the parameter repeated)."""
    if request is None:
        return frozenset()
    names = {
        name.strip()
        for value in request.query_params.getlist("expand")
        for name in value.split(",")
    }
    if "" in names:  # `expand=` or a stray comma: say so rather than guess
        raise ValidationError(
            {"expand": [f"An empty name. Allowed: {', '.join(EXPANDABLE)}, comma-separated."]}
        )
    unknown = sorted(names - set(EXPANDABLE))
    if unknown:
        raise ValidationError(
            {"expand": [f"Unknown: {', '.join(unknown)}. Allowed: {', '.join(EXPANDABLE)}."]}
        )
    return frozenset(names)


class StoryExpandBackend(BaseFilterBackend):
    """Checks `expand` and prefetches what it adds, on the list only."""

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        if getattr(view, "action", None) != "list":
            return queryset
        wanted = expand_fields(request)
        if "summary" in wanted:
            queryset = queryset.defer(None)  # whatever the list leaves out, the summary is in
        if "sources" in wanted:
            queryset = queryset.prefetch_related("sources")
        if "upstream" in wanted:
            queryset = queryset.prefetch_related(
                Prefetch(
                    "upstream_links",
                    queryset=StoryUpstreamIssue.objects.select_related("upstream_issue"),
                )
            )
        return queryset

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": "expand",
                "in": "query",
                "required": False,
                "description": (
                    "Add fields to each story of the list: `summary` (Markdown), `sources`, "
                    "`upstream` (as in the story detail). Comma-separated, e.g. "
                    "`expand=summary,sources,upstream&page_size=100` to mirror the catalogue."
                ),
                "style": "form",
                "explode": False,
                # At least one name: `expand=` (an empty list, or one empty name) is a 400.
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": list(EXPANDABLE)},
                },
            }
        ]


class StoryExpandedListSerializer(StoryListSerializer):
    """The compact list form plus the expansions the request names (none: the compact form)."""

    summary = serializers.CharField(required=False, help_text="Markdown; with expand=summary.")
    sources = SourceSerializer(many=True, required=False, help_text="With expand=sources.")
    upstream = StoryUpstreamSerializer(
        source="upstream_links", many=True, required=False, help_text="With expand=upstream."
    )

    class Meta(StoryListSerializer.Meta):
        fields = [*StoryListSerializer.Meta.fields, *EXPANDABLE]

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        if getattr(self.context.get("view"), "swagger_fake_view", False):
            return fields  # the OpenAPI schema documents every expansion
        wanted = expand_fields(self.context.get("request"))
        for name in EXPANDABLE:
            if name not in wanted:
                fields.pop(name)
        return fields
