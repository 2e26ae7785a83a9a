"""Source URLs that, canonicalised, already belong to a story or an open submission."""

from collections.abc import Iterable
from dataclasses import dataclass

from apps.catalog.links import InvalidURL, canonicalize_url, check_http_url
from apps.catalog.models import Source, Story
from apps.submissions.models import OPEN_STATUSES, Submission, SubmissionURL


@dataclass(frozen=True)
class Duplicate:
    url: str
    canonical_url: str
    story: Story | None = None
    submission: Submission | None = None


def canonical_urls(urls: Iterable[str]) -> dict[str, str]:
    """Canonical form of each valid URL (invalid ones are left to validation)."""
    found = {}
    for url in urls:
        try:
            checked = check_http_url(url)
        except InvalidURL:
            continue
        found[checked] = canonicalize_url(checked)
    return found


def find_duplicates(
    urls: Iterable[str], *, public_only: bool = True, exclude: Submission | None = None
) -> list[Duplicate]:
    """Matches for `urls` among stories and open submissions.

    For submitters (`public_only`), stories that are not published are not named: a
    match with them is shown as a match with a story under review, so nothing private leaks.
    """
    wanted = canonical_urls(urls)
    if not wanted:
        return []
    by_canonical = {canonical: url for url, canonical in wanted.items()}
    sources = (
        Source.objects.filter(canonical_url__in=by_canonical)
        .select_related("story")
        .order_by("canonical_url")
    )
    found = []
    seen = set()
    for source in sources:
        hidden = public_only and not source.story.is_public
        found.append(
            Duplicate(
                by_canonical[source.canonical_url],
                source.canonical_url,
                story=None if hidden else source.story,
            )
        )
        seen.add(source.canonical_url)
    open_urls = SubmissionURL.objects.filter(
        canonical_url__in=by_canonical, submission__status__in=OPEN_STATUSES
    ).select_related("submission")
    if exclude is not None:
        open_urls = open_urls.exclude(submission=exclude)
    for row in open_urls.order_by("submission__created_at"):
        if row.canonical_url in seen:
            continue
        seen.add(row.canonical_url)
        found.append(
            Duplicate(by_canonical[row.canonical_url], row.canonical_url, submission=row.submission)
        )
    return found
