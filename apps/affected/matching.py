"""Which upstream bugs a set of versions is inside, with their public stories.

A constant number of queries whatever the catalogue's size: the ranges of issues
linked from a public story, the public stories of the issues found, their
mitigations, and how many public issues have no ranges at all.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from apps.affected.models import VersionRange
from apps.affected.ranges import Assessment, Match, Range, Verdict, assess, fixed_versions
from apps.affected.versions import PRODUCTS, ParsedVersion, VersionError, parse_version
from apps.catalog.models import (
    Mitigation,
    Story,
    StoryMitigation,
    StoryUpstreamIssue,
    UpstreamIssue,
)

MAX_VERSIONS_PER_PRODUCT = 50


@dataclass
class IssueResult:
    issue: UpstreamIssue
    ranges: list[Range]
    assessment: Assessment
    stories: list[Story] = field(default_factory=list)
    mitigations: list[Mitigation] = field(default_factory=list)

    @property
    def matches(self) -> list[Match]:
        return self.assessment.affected or self.assessment.fixed

    @property
    def fixed_in(self) -> str:
        """The fix for the first affected version: its range's `fixed`, else the first
        fix of a later release line."""
        match = self.matches[0]
        if match.range.fixed or self.assessment.verdict is Verdict.FIXED:
            return match.range.fixed
        later = [
            v
            for v in fixed_versions(self.ranges, match.range.product)
            if parse_version(match.range.product, v).value > match.version.value
        ]
        return later[0] if later else ""

    @property
    def fixed_versions(self) -> list[str]:
        return fixed_versions(self.ranges, self.matches[0].range.product)


@dataclass
class Versions:
    """What the user gave, read: versions by product, and what could not be read."""

    parsed: dict[str, list[ParsedVersion]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # by product
    problems: list[str] = field(default_factory=list)  # in words, for the page
    unknown_products: list[str] = field(default_factory=list)

    def query(self) -> list[tuple[str, str]]:
        """The shareable query string's pairs, in product order."""
        return [
            (product, ",".join(v.text for v in self.parsed[product]))
            for product in PRODUCTS
            if product in self.parsed
        ]


def read_versions(given: Mapping[str, Sequence[str]]) -> Versions:
    """`given`: product slug → version strings (each may be comma-separated)."""
    result = Versions()
    for product, values in given.items():
        texts = [t.strip() for value in values for t in value.split(",") if t.strip()]
        if product not in PRODUCTS:
            if texts:
                result.unknown_products.append(product)
            continue
        for text in texts[:MAX_VERSIONS_PER_PRODUCT]:
            try:
                version = parse_version(product, text)
            except VersionError as exc:
                result.errors.setdefault(product, []).append(f"{str(exc)[:200]}.")
                result.problems.append(f"{PRODUCTS[product].name}: {exc}.")
                continue
            if all(v.text != version.text for v in result.parsed.get(product, [])):
                result.parsed.setdefault(product, []).append(version)
    return result


@dataclass
class AffectedResult:
    affected: list[IssueResult]
    fixed: list[IssueResult]
    issues_without_ranges: int


def _public_issue() -> Exists:
    return Exists(
        StoryUpstreamIssue.objects.public().filter(upstream_issue_id=OuterRef("upstream_issue_id"))
    )


def check_versions(versions: Mapping[str, Sequence[ParsedVersion]]) -> AffectedResult:
    ranges: dict[int, list[Range]] = defaultdict(list)
    issues: dict[int, UpstreamIssue] = {}
    for row in (
        VersionRange.objects.filter(_public_issue())
        .select_related("upstream_issue")
        .order_by(
            "upstream_issue__tracker",
            "upstream_issue__owner",
            "upstream_issue__repo",
            "upstream_issue__number",
            "position",
        )
    ):
        ranges[row.upstream_issue_id].append(row.as_range())
        issues[row.upstream_issue_id] = row.upstream_issue
    results = {
        pk: IssueResult(issues[pk], items, assess(items, versions)) for pk, items in ranges.items()
    }
    found = {
        pk: r
        for pk, r in results.items()
        if r.assessment.verdict in (Verdict.AFFECTED, Verdict.FIXED)
    }
    _attach_stories(found)
    without = UpstreamIssue.objects.public().filter(version_ranges__isnull=True).distinct().count()
    return AffectedResult(
        affected=[r for r in found.values() if r.assessment.verdict is Verdict.AFFECTED],
        fixed=[r for r in found.values() if r.assessment.verdict is Verdict.FIXED],
        issues_without_ranges=without,
    )


def _attach_stories(results: dict[int, IssueResult]) -> None:
    if not results:
        return
    links = (
        StoryUpstreamIssue.objects.public()
        .filter(upstream_issue_id__in=results)
        .select_related("story")
        .only(
            "upstream_issue_id",
            "story__slug",
            "story__title",
            "story__published_on",
            "story__status",
        )
        .order_by("-story__published_on", "story__slug")
    )
    story_issues: dict[int, list[IssueResult]] = defaultdict(list)
    for link in links:
        results[link.upstream_issue_id].stories.append(link.story)
        story_issues[link.story_id].append(results[link.upstream_issue_id])
    for mitigation_link in (
        StoryMitigation.objects.filter(story_id__in=story_issues)
        .select_related("mitigation")
        .only("story_id", "mitigation__slug", "mitigation__title")
        .order_by("position", "id")
    ):
        for result in story_issues[mitigation_link.story_id]:
            if mitigation_link.mitigation not in result.mitigations:
                result.mitigations.append(mitigation_link.mitigation)
