"""Celery tasks of the floor every app uses."""

from celery import shared_task
from django.conf import settings

from apps.core import outbox, sharedcache


@shared_task
def sweep_outbox() -> int:
    return outbox.sweep()


# Backoff of 1, 2, 4 ... 256 s (jittered): at most 8.5 minutes in all, while Varnish may
# still hold the pages (it keeps them 10). It touches no database.
@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=9, retry_backoff=True)
def ban_shared_cache(url: str) -> None:
    """Deliver a ban that the process which committed could not (apps/core/sharedcache.py),
    at the generation of now."""
    if url not in settings.SHARED_CACHE_BAN_URLS:
        return  # only the configured caches, whatever a message asks
    sharedcache.ban(url, sharedcache.current_generation())
    sharedcache.retried(url)
