"""Keep upstream issues in step with GitHub: state, title, labels, milestone and dates."""

import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.catalog.models import Story, UpstreamIssue
from apps.catalog.signals import stories_changed
from apps.linkcheck.github import GitHubClient, GitHubError, RateLimited
from apps.observability.metrics import UPSTREAM_SYNC_RESULTS

UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"
SKIPPED = "skipped"
MISSING = "missing"
RATE_LIMITED = "rate_limited"

MAX_ERROR_LENGTH = 1000


class SyncCounts(Counter[str]):
    """How many issues ended each way; rate_limited counts those left for the next run."""

    rate_limited_until: datetime.datetime | None = None


@dataclass(frozen=True)
class _Fields:
    state: str
    title: str
    labels: list[str]
    milestone: str
    closed_at: datetime.datetime | None
    opened_at: datetime.datetime | None = None
    merged_at: datetime.datetime | None = None


def sync_issue(issue_id: int, *, client: GitHubClient | None = None) -> UpstreamIssue | None:
    """Fetch one upstream issue from its tracker and store what it says now.

    Returns None when no issue has that id, and the issue unchanged when its tracker is
    not GitHub. An HTTP error is recorded in last_error and the previous state is kept.
    Raises RateLimited when GitHub's limit resets later than we are willing to wait.
    """
    issue = UpstreamIssue.objects.filter(pk=issue_id).first()
    if issue is None:
        return None
    if client is not None:
        _sync(issue, client)
    else:
        with GitHubClient() as own_client:
            _sync(issue, own_client)
    return issue


def sync_issues(
    ids: Iterable[int],
    *,
    progress: Callable[[Sequence[int]], Iterable[int]] | None = None,
    client: GitHubClient | None = None,
) -> SyncCounts:
    """Sync a batch of issues. One failure is recorded on its issue and the batch goes on;
    a rate limit stops the batch and leaves the rest, untouched, for the next run."""
    ids = list(ids)
    counts = SyncCounts()
    own_client = client is None
    github = client if client is not None else GitHubClient()
    try:
        for position, issue_id in enumerate(progress(ids) if progress else ids):
            issue = UpstreamIssue.objects.filter(pk=issue_id).first()
            if issue is None:
                counts[MISSING] += 1
                continue
            try:
                counts[_sync(issue, github)] += 1
            except RateLimited as exc:
                counts[RATE_LIMITED] = len(ids) - position
                counts.rate_limited_until = exc.reset_at
                break
    finally:
        if own_client:
            github.close()
    return counts


def _sync(issue: UpstreamIssue, client: GitHubClient) -> str:
    """One issue's sync, counted in kfs_upstream_sync_results_total by its result."""
    try:
        result = _sync_state(issue, client)
    except RateLimited:
        UPSTREAM_SYNC_RESULTS.labels(RATE_LIMITED).inc()
        raise
    UPSTREAM_SYNC_RESULTS.labels(result).inc()
    return result


def _sync_state(issue: UpstreamIssue, client: GitHubClient) -> str:
    if issue.tracker != UpstreamIssue.Tracker.GITHUB:
        return SKIPPED
    repo = f"repos/{quote(issue.owner, safe='')}/{quote(issue.repo, safe='')}"
    try:
        response = client.get(f"{repo}/issues/{issue.number}", etag=issue.etag)
        if response.not_modified:
            issue.last_checked_at = timezone.now()
            issue.last_error = ""
            issue.save(update_fields=["last_checked_at", "last_error"])
            return UNCHANGED
        fields = _issue_fields(response.data)
        # A merged pull request is closed too, so only a closed one needs the second call.
        if "pull_request" in response.data and fields.state == UpstreamIssue.State.CLOSED:
            fields = _with_merge(fields, client.get(f"{repo}/pulls/{issue.number}").data)
    except GitHubError as exc:
        issue.last_checked_at = timezone.now()
        issue.last_error = str(exc)[:MAX_ERROR_LENGTH]
        issue.save(update_fields=["last_checked_at", "last_error"])
        return FAILED

    now = timezone.now()
    retitled = issue.title != fields.title
    issue.state = fields.state
    issue.title = fields.title
    issue.labels = fields.labels
    issue.milestone = fields.milestone
    issue.opened_at = fields.opened_at
    issue.closed_at = fields.closed_at
    issue.merged_at = fields.merged_at
    issue.etag = response.etag[: UpstreamIssue._meta.get_field("etag").max_length]
    issue.last_synced_at = now
    issue.last_checked_at = now
    issue.last_error = ""
    issue.save(
        update_fields=[
            "state",
            "title",
            "labels",
            "milestone",
            "opened_at",
            "closed_at",
            "merged_at",
            "etag",
            "last_synced_at",
            "last_checked_at",
            "last_error",
        ]
    )
    if retitled:
        # The title is part of the search text of the stories that link the issue.
        stories = issue.story_links.values_list("story_id", flat=True)
        stories_changed.send(sender=Story, story_ids=stories)
    return UPDATED


def _issue_fields(data: Any) -> _Fields:
    if not isinstance(data, dict):
        raise GitHubError("malformed issue: not a JSON object")
    state = data.get("state")
    if state not in ("open", "closed"):
        raise GitHubError(f"malformed issue: unexpected state {state!r}")
    title = data.get("title")
    if not isinstance(title, str):
        raise GitHubError("malformed issue: no title")
    labels = data.get("labels") or []
    if not isinstance(labels, list):
        raise GitHubError("malformed issue: labels is not a list")
    milestone = data.get("milestone") or {}
    if not isinstance(milestone, dict):
        raise GitHubError("malformed issue: milestone is not an object")
    return _Fields(
        state=UpstreamIssue.State.OPEN if state == "open" else UpstreamIssue.State.CLOSED,
        title=title[:500],
        labels=[name for label in labels if (name := _label_name(label))],
        milestone=str(milestone.get("title") or "")[:200],
        closed_at=_timestamp(data.get("closed_at"), "closed_at"),
        opened_at=_timestamp(data.get("created_at"), "created_at"),
    )


def _with_merge(fields: _Fields, pull: Any) -> _Fields:
    if not isinstance(pull, dict) or not isinstance(pull.get("merged"), bool):
        raise GitHubError("malformed pull request: no merged flag")
    if not pull["merged"]:
        return fields
    return replace(
        fields,
        state=UpstreamIssue.State.MERGED,
        merged_at=_timestamp(pull.get("merged_at"), "merged_at"),
    )


def _label_name(label: Any) -> str:
    # The API documents a label as either a bare name or an object with a name.
    if isinstance(label, str):
        return label
    if isinstance(label, dict) and isinstance(label.get("name"), str):
        return str(label["name"])
    return ""


def _timestamp(value: Any, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise GitHubError(f"malformed {name}: {value!r}")
    return parsed
