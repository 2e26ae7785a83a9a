"""Celery tasks for submissions: thin wrappers that take ids."""

import logging

from celery import shared_task

from apps.submissions import notifications

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def notify_submitter(entry_id: int) -> bool:
    """Email the submitter about one audit entry, once. True when an email went out."""
    return notifications.send_notification(entry_id)
