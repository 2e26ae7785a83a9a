"""What a moderator reviews with a submission, for the review page and the API alike:
the proposal compared with the story, and the other stories and submissions that already
hold its source URLs."""

from dataclasses import dataclass
from typing import Any

from apps.catalog.snapshots import story_snapshot
from apps.submissions.diff import FieldChange, story_diff
from apps.submissions.duplicates import Duplicate, find_duplicates
from apps.submissions.models import Submission, SubmissionKind


@dataclass(frozen=True)
class Review:
    # What the proposal is compared with (None for a new story) and that story's version.
    before: dict[str, Any] | None
    story_version: int | None
    changes: list[FieldChange]
    # An open edit is compared with the story as it is now; a decided one with the story
    # as it was when it was proposed.
    compared_with_current: bool
    # The story changed since the edit was proposed: approving needs a fresh look.
    story_changed: bool
    duplicates: list[Duplicate]


def _comparison(submission: Submission) -> tuple[dict[str, Any] | None, int | None]:
    if submission.kind == SubmissionKind.NEW:
        return None, None
    if submission.is_open and submission.story is not None:
        current = story_snapshot(submission.story)
        return current, current["version"]
    return submission.base, submission.base_version


def review(submission: Submission) -> Review:
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    before, story_version = _comparison(submission)
    story = submission.story
    urls = [str(source.get("url", "")) for source in payload.get("sources", [])]
    duplicates = [
        found
        for found in find_duplicates(urls, public_only=False, exclude=submission)
        if story is None or found.story is None or found.story.pk != story.pk
    ]
    # A stable order keeps the API's ETag stable.
    duplicates.sort(
        key=lambda d: (d.url, d.story.pk if d.story else 0, d.submission.pk if d.submission else 0)
    )
    return Review(
        before=before,
        story_version=story_version,
        changes=story_diff(before, payload),
        compared_with_current=submission.is_open and before is not None,
        story_changed=(
            submission.is_open
            and story is not None
            and submission.kind != SubmissionKind.NEW
            and story_version != submission.base_version
        ),
        duplicates=duplicates,
    )
