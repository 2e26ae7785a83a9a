"""Celery tasks: thin wrappers that take ids, call services and own retries.

Network work runs only when its setting enables it; otherwise a task logs and returns.
Every task retries a database outage (apps/core/retries.py): each is safe to run again.
"""

import logging

from celery import Task
from django.conf import settings
from django.utils import timezone

from apps.catalog.models import Source, UpstreamIssue
from apps.core.retries import task_retrying_outages
from apps.linkcheck import github, health, upstream

logger = logging.getLogger(__name__)


def _enabled(flag: str, what: str) -> bool:
    if getattr(settings, flag):
        return True
    logger.info("%s skipped: %s is off (no network access by default)", what, flag)
    return False


@task_retrying_outages(ConnectionError)
def check_source(source_id: int) -> None:
    if _enabled("LINKCHECK_ENABLED", f"link check of source {source_id}"):
        health.check_source(source_id)


@task_retrying_outages()
def check_all_sources() -> int:
    """Fan out one task per source of a published story."""
    if not _enabled("LINKCHECK_ENABLED", "link check run"):
        return 0
    ids = list(Source.objects.public().values_list("pk", flat=True))
    for source_id in ids:
        check_source.apply_async(args=[source_id], retry=False)
    return len(ids)


# Five retries at most, as before: a rate-limited issue waits a whole window each time.
@task_retrying_outages(bind=True, max_retries=5)
def sync_upstream_issue(self: Task, issue_id: int) -> None:
    if not _enabled("UPSTREAM_SYNC_ENABLED", f"upstream sync of issue {issue_id}"):
        return
    try:
        upstream.sync_issue(issue_id)
    except github.RateLimited as exc:
        # Come back when GitHub's window resets instead of hammering it.
        wait = max(1, int((exc.reset_at - timezone.now()).total_seconds()) + 1)
        raise self.retry(countdown=wait, exc=exc) from None


# A retry syncs the batch again from its start; GitHub answers the issues already
# synced with 304 (their ETag), which its rate limit does not count.
@task_retrying_outages()
def sync_all_upstream() -> dict[str, int]:
    """One task for the whole batch, so GitHub's rate limit is respected in one place."""
    if not _enabled("UPSTREAM_SYNC_ENABLED", "upstream sync run"):
        return {}
    ids = list(UpstreamIssue.objects.public().values_list("pk", flat=True))
    return dict(upstream.sync_issues(ids))
