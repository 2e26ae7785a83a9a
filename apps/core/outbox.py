"""Enqueue background work so that a broker outage never loses it."""

import datetime
import logging
import time
from typing import Any

from celery import Task
from django.db import transaction
from django.utils import timezone

from apps.core.models import OutboxEntry

logger = logging.getLogger(__name__)
# One attempt, and no subscription on the result backend: nothing waits for the result.
SEND_OPTIONS: dict[str, Any] = {"retry": False, "ignore_result": True}
# After a failed publish this process leaves new work to the sweeper for a while, so a
# request that enqueues several tasks waits on an unreachable broker once, not per task.
PAUSE_AFTER_FAILURE_SECONDS = 10.0
_paused_until = 0.0


def enqueue(task: Task, *args: Any) -> OutboxEntry:
    """Record `task(*args)` now and send it after the surrounding transaction commits."""
    entry = OutboxEntry.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: send(entry.pk))
    return entry


def send(entry_id: int, *, even_if_paused: bool = False) -> bool:
    """Publish one outbox entry; on failure leave it for the sweeper. True when sent.

    Within PAUSE_AFTER_FAILURE_SECONDS of a failed publish the entry is left pending
    without an attempt, unless `even_if_paused` (the sweeper's retry).
    """
    global _paused_until
    from celery import current_app

    eager = current_app.conf.task_always_eager
    if not eager and not even_if_paused and time.monotonic() < _paused_until:
        return False
    entry = OutboxEntry.objects.filter(pk=entry_id, sent_at__isnull=True).first()
    if entry is None:
        return False
    entry.attempts += 1
    try:
        if eager:
            current_app.tasks[entry.task].apply(args=entry.args)
        else:
            current_app.send_task(entry.task, args=entry.args, **SEND_OPTIONS)
    except Exception as exc:  # any broker failure leaves the entry pending
        if not eager:
            _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        entry.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        entry.save(update_fields=["attempts", "last_error"])
        logger.warning("outbox: could not send %s (%s); the sweeper will retry", entry, exc)
        return False
    _paused_until = 0.0
    entry.sent_at = timezone.now()
    entry.last_error = ""
    entry.save(update_fields=["attempts", "sent_at", "last_error"])
    return True


def sweep(*, older_than_seconds: int = 30, limit: int = 500) -> int:
    """Send entries still pending after `older_than_seconds`. Returns how many were sent.

    The first entry is tried even during a pause; once a publish fails, the rest wait for
    the next sweep, so a sweep waits on an unreachable broker once.
    """
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    pending = OutboxEntry.objects.pending().filter(created_at__lte=cutoff)[:limit]
    ids = list(pending.values_list("pk", flat=True))
    return sum(send(pk, even_if_paused=index == 0) for index, pk in enumerate(ids))
