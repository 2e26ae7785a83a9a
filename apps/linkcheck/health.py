"""Link health of story sources: check a source's URL and record what was found."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.catalog.models import Source
from apps.linkcheck.fetch import FetchResult, fetch_url
from apps.observability.metrics import LINKCHECK_RESULTS

logger = logging.getLogger(__name__)

HEALTH_FIELDS = [
    "last_checked_at",
    "last_status_code",
    "final_url",
    "consecutive_failures",
    "is_broken",
    "last_error",
]
MAX_ERROR_LENGTH = 500
MAX_URL_LENGTH = Source._meta.get_field("final_url").max_length or 1000


def archived_url(url: str) -> str:
    """The Wayback Machine's list of snapshots of a URL (a link for readers; never fetched)."""
    return f"https://web.archive.org/web/*/{url}"


def _record(source_id: int, url: str, result: FetchResult) -> Source | None:
    """Write one check's outcome, unless the source vanished or changed URL meanwhile."""
    with transaction.atomic():
        source = Source.objects.select_for_update().filter(pk=source_id).first()
        if source is None or source.url != url:
            return source
        source.last_checked_at = timezone.now()
        source.last_status_code = result.status_code
        source.final_url = result.final_url if len(result.final_url) <= MAX_URL_LENGTH else ""
        if result.ok:
            source.consecutive_failures = 0
            source.is_broken = False
            source.last_error = ""
        else:
            source.consecutive_failures = min(source.consecutive_failures + 1, 32767)
            source.is_broken = source.consecutive_failures >= settings.LINKCHECK_BROKEN_AFTER
            source.last_error = result.problem[:MAX_ERROR_LENGTH]
        source.save(update_fields=HEALTH_FIELDS)
    return source


def _check(source_id: int) -> tuple[Source, FetchResult] | None:
    url = Source.objects.filter(pk=source_id).values_list("url", flat=True).first()
    if url is None:
        return None
    # The request runs outside any transaction: no row stays locked while we wait on it.
    result = fetch_url(url)
    LINKCHECK_RESULTS.labels("ok" if result.ok else "blocked" if result.blocked else "failed").inc()
    source = _record(source_id, url, result)
    return None if source is None else (source, result)


def check_source(source_id: int) -> Source | None:
    """Check one source's URL and record the outcome; None when there is no such source.

    A success (2xx, directly or at the end of redirects) clears the failure count; each
    failure raises it, and LINKCHECK_BROKEN_AFTER failures in a row mark the link broken.
    """
    checked = _check(source_id)
    return None if checked is None else checked[0]


def _no_progress(ids: list[int]) -> Iterable[int]:
    return ids


def check_sources(
    source_ids: Iterable[int],
    progress: Callable[[list[int]], Iterable[int]] = _no_progress,
) -> Counter[str]:
    """Check many sources, one at a time, carrying on past any single failure.

    Counts: "ok" and "failed" add up to the sources checked; "broken" (now marked broken)
    and "blocked" (the guard refused an address) are subsets of "failed"; "missing" are
    ids with no source; "errors" are unexpected exceptions, logged and skipped.
    """
    counts: Counter[str] = Counter()
    for source_id in progress(list(source_ids)):
        try:
            checked = _check(source_id)
        except Exception:
            logger.exception("link check of source %s failed unexpectedly", source_id)
            counts["errors"] += 1
            continue
        if checked is None:
            counts["missing"] += 1
            continue
        source, result = checked
        if result.ok:
            counts["ok"] += 1
            continue
        counts["failed"] += 1
        if source.is_broken:
            counts["broken"] += 1
        if result.blocked:
            counts["blocked"] += 1
    return counts
