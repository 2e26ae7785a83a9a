"""Enqueue background work so that a broker outage never loses it."""

import datetime
import logging
from typing import Any

from celery import Task
from django.db import transaction
from django.utils import timezone

from apps.linkcheck.models import OutboxEntry

logger = logging.getLogger(__name__)
SEND_OPTIONS: dict[str, Any] = {"retry": False}


def enqueue(task: Task, *args: Any) -> OutboxEntry:
    """Record `task(*args)` now and send it after the surrounding transaction commits."""
    entry = OutboxEntry.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: send(entry.pk))
    return entry


def send(entry_id: int) -> bool:
    """Publish one outbox entry; on failure leave it for the sweeper. True when sent."""
    from celery import current_app

    entry = OutboxEntry.objects.filter(pk=entry_id, sent_at__isnull=True).first()
    if entry is None:
        return False
    entry.attempts += 1
    try:
        if current_app.conf.task_always_eager:
            current_app.tasks[entry.task].apply(args=entry.args)
        else:
            current_app.send_task(entry.task, args=entry.args, **SEND_OPTIONS)
    except Exception as exc:  # any broker failure leaves the entry pending
        entry.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        entry.save(update_fields=["attempts", "last_error"])
        logger.warning("outbox: could not send %s (%s); the sweeper will retry", entry, exc)
        return False
    entry.sent_at = timezone.now()
    entry.last_error = ""
    entry.save(update_fields=["attempts", "sent_at", "last_error"])
    return True


def sweep(*, older_than_seconds: int = 30, limit: int = 500) -> int:
    """Send entries still pending after `older_than_seconds`. Returns how many were sent."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    pending = OutboxEntry.objects.pending().filter(created_at__lte=cutoff)[:limit]
    return sum(send(pk) for pk in pending.values_list("pk", flat=True))
