"""Link checks and upstream syncs follow the catalogue through its signals."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from apps.catalog.models import Source, UpstreamIssue
from apps.core.outbox import enqueue
from apps.linkcheck.tasks import check_source, sync_upstream_issue


def enqueue_first_checks(sender: Any, story_ids: Iterable[int], **kwargs: Any) -> None:
    """Check new source links and upstream issues soon, when those jobs are enabled."""
    story_ids = list(story_ids)
    if settings.LINKCHECK_ENABLED:
        for pk in Source.objects.filter(
            story_id__in=story_ids, last_checked_at__isnull=True
        ).values_list("pk", flat=True):
            enqueue(check_source, pk)
    if settings.UPSTREAM_SYNC_ENABLED:
        for pk in (
            UpstreamIssue.objects.filter(
                story_links__story_id__in=story_ids, last_checked_at__isnull=True
            )
            .distinct()
            .values_list("pk", flat=True)
        ):
            enqueue(sync_upstream_issue, pk)
