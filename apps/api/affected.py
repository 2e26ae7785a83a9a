"""`GET /api/v1/affected/?kubernetes=1.24.1&etcd=3.5.2`: the page's answer as JSON."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.affected.matching import IssueResult, check_versions, read_versions
from apps.affected.versions import (
    MAX_VERSION_LENGTH,
    PRODUCTS,
    VERSION_LIST_PATTERN,
    VERSION_LIST_RE,
)
from apps.api.serializers import ErrorSerializer
from apps.api.views import ApiViewSetMixin

_NOT_PRODUCTS = frozenset({"format"})
VERSION_LIST_SCHEMA = {
    "type": "string",
    "pattern": VERSION_LIST_PATTERN,
    "maxLength": MAX_VERSION_LENGTH,
}


class IssueSerializer(serializers.Serializer[Any]):
    url = serializers.URLField()
    title = serializers.CharField(help_text="Empty until synced from the tracker.")
    state = serializers.CharField(help_text="open, closed, merged or unknown.")


class RangeSerializer(serializers.Serializer[Any]):
    product = serializers.CharField()
    component = serializers.CharField(help_text="Empty unless the fix is component-specific.")
    introduced = serializers.CharField(help_text='"0": every version before the fix.')
    fixed = serializers.CharField(allow_null=True)
    last_affected = serializers.CharField(allow_null=True)
    evidence = serializers.URLField(help_text="Where the range was read.")
    description = serializers.CharField()


class EntrySerializer(serializers.Serializer[Any]):
    issue = IssueSerializer()
    version = serializers.CharField(help_text="Your version that matched, as given.")
    range = RangeSerializer(help_text="The range it matched.")
    fixed_in = serializers.CharField(
        allow_null=True, help_text="The version to upgrade to; null when no fix is recorded."
    )
    fixed_versions = serializers.ListField(
        child=serializers.CharField(), help_text="Every fixed version, one per release line."
    )
    stories = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of the published stories about it."
    )


class AffectedSerializer(serializers.Serializer[Any]):
    affected = EntrySerializer(many=True, help_text="Bugs the versions are inside.")
    fixed = EntrySerializer(many=True, help_text="Bugs the versions are past the fix of.")
    unknown_products = serializers.ListField(
        child=serializers.CharField(), help_text="Parameters naming no product we track (ignored)."
    )


def _entry(result: IssueResult) -> dict[str, Any]:
    match = result.matches[0]
    item = match.range
    return {
        "issue": {
            "url": result.issue.url,
            "title": result.issue.title,
            "state": result.issue.state,
        },
        "version": match.version.text,
        "range": {
            "product": item.product,
            "component": item.component,
            "introduced": item.introduced,
            "fixed": item.fixed or None,
            "last_affected": item.last_affected or None,
            "evidence": item.evidence,
            "description": item.describe(),
        },
        "fixed_in": result.fixed_in or None,
        "fixed_versions": result.fixed_versions,
        "stories": [story.slug for story in result.stories],
    }


class AffectedView(ApiViewSetMixin, APIView):
    """Versions are checked against the documented pattern before they are read, so a
    request the schema allows is always answered and one it forbids is a 400."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="Upstream bugs a set of versions is inside, and those it is past the fix of",
        parameters=[
            OpenApiParameter(
                slug,
                VERSION_LIST_SCHEMA,
                description=f"{product.name} version(s), comma-separated"
                + (
                    " (node versions; kubelet and kube-proxy ranges use it)"
                    if slug == "kubelet"
                    else ""
                ),
            )
            for slug, product in PRODUCTS.items()
        ],
        responses={200: AffectedSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        given = {
            name: request.query_params.getlist(name)
            for name in request.query_params
            if name not in _NOT_PRODUCTS
        }
        malformed = {
            name: [
                f"Expected comma-separated versions such as 1.27.4 or v3.5.2-eks, not {v[:100]!r}."
            ]
            for name, values in given.items()
            if name in PRODUCTS
            for v in values
            if len(v) > MAX_VERSION_LENGTH or not VERSION_LIST_RE.search(v)
        }
        if malformed:
            raise ValidationError(malformed)
        versions = read_versions(given)
        if versions.errors:  # pragma: no cover - the pattern admits only readable versions
            raise ValidationError(versions.errors)
        result = check_versions(versions.parsed) if versions.parsed else None
        data = {
            "affected": [_entry(r) for r in result.affected] if result else [],
            "fixed": [_entry(r) for r in result.fixed] if result else [],
            "unknown_products": versions.unknown_products,
        }
        return Response(AffectedSerializer(data).data)
