"""The story page's "affects X from a, fixed in c" lines, one query per page."""

from collections import defaultdict
from typing import Any

from django import template

from apps.affected.models import VersionRange
from apps.affected.ranges import Range

register = template.Library()


@register.simple_tag
def version_ranges(story: Any) -> dict[int, list[Range]]:
    """The ranges of every upstream issue of `story`, by issue id."""
    ids = [link.upstream_issue_id for link in story.upstream_links.all()]
    grouped: dict[int, list[Range]] = defaultdict(list)
    for row in VersionRange.objects.filter(upstream_issue_id__in=ids).order_by(
        "upstream_issue_id", "position"
    ):
        grouped[row.upstream_issue_id].append(row.as_range())
    return grouped


@register.filter
def ranges_of(grouped: dict[int, list[Range]], issue_id: int) -> list[Range]:
    return grouped.get(issue_id, [])
