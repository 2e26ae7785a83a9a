"""Load the ranges file into the database with the catalogue, and read it back out.

The file is the source of truth: after an import, the ranges in the database are
exactly the file's, and `ranges_from_database` gives the records `ranges_to_text`
writes, so an export reproduces the file.
"""

from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from apps.affected.models import VersionRange
from apps.affected.rangefile import IssueRanges, RangeFile, ranges_path, read_ranges
from apps.affected.ranges import Range
from apps.catalog.importing import ImportRefused, ImportReport
from apps.catalog.models import UpstreamIssue
from apps.catalog.storyfiles.parsing import Catalogue
from apps.catalog.storyfiles.records import Problem

REPORT_KIND = "issues with version ranges"


def import_ranges_after_catalogue(
    sender: Any, *, catalogue: Catalogue, report: ImportReport, **kwargs: Any
) -> None:
    """Receiver of `catalogue_imported`: a fixtures tree without a ranges file leaves
    the ranges alone; a file with problems refuses the whole import."""
    if catalogue.root is None or not ranges_path(catalogue.root).exists():
        return
    import_ranges(catalogue.root, report=report)


def import_ranges(root: Path, *, report: ImportReport | None = None) -> None:
    path = ranges_path(root)
    parsed = read_ranges(path)
    issue_ids = dict(
        UpstreamIssue.objects.filter(url__in=[i.url for i in parsed.issues]).values_list(
            "url", "pk"
        )
    )
    problems = list(parsed.problems) + [
        Problem(str(path), "url", f"{issue.url} is not linked from any story")
        for issue in parsed.issues
        if issue.url not in issue_ids
    ]
    if problems:
        raise ImportRefused(sorted(problems))
    _replace(parsed, issue_ids, report or ImportReport())


def _replace(parsed: RangeFile, issue_ids: dict[str, int], report: ImportReport) -> None:
    wanted = {issue_ids[i.url]: i.ranges for i in parsed.issues}
    stored: dict[int, list[Range]] = defaultdict(list)
    for row in VersionRange.objects.order_by("upstream_issue_id", "position"):
        stored[row.upstream_issue_id].append(row.as_range())
    changed = [
        pk
        for pk in wanted.keys() | stored.keys()
        if tuple(stored.get(pk, ())) != wanted.get(pk, ())
    ]
    VersionRange.objects.filter(upstream_issue_id__in=changed).delete()
    VersionRange.objects.bulk_create(
        VersionRange(upstream_issue_id=pk, position=position, **asdict(item))
        for pk in changed
        for position, item in enumerate(wanted.get(pk, ()))
    )
    for pk in wanted:
        report.count(
            REPORT_KIND,
            "updated"
            if pk in changed and pk in stored
            else "created"
            if pk in changed
            else "unchanged",
        )
    report.count(REPORT_KIND, "deleted", len(stored.keys() - wanted.keys()))


def ranges_from_database() -> list[IssueRanges]:
    grouped: dict[str, list[Range]] = defaultdict(list)
    for row in VersionRange.objects.select_related("upstream_issue").order_by(
        "upstream_issue_id", "position"
    ):
        grouped[row.upstream_issue.url].append(row.as_range())
    return [IssueRanges(url=url, ranges=tuple(items)) for url, items in grouped.items()]
