"""Celery tasks for submissions: thin wrappers that take ids."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.submissions import notifications

logger = logging.getLogger(__name__)
# An SMTP server or the database out of reach. The outbox counts an entry as done once the
# broker has it, so a task that gave up here would lose the email: a PostgreSQL restart in
# the rehearsal (deploy/rehearsal.py) did. Retried with backoff, 10 times over at most 17 minutes
# (jittered: about 8 on average); sending stays idempotent (the Notification row).
TRANSIENT = (OSError, OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=10, retry_backoff=True)
def notify_submitter(entry_id: int) -> bool:
    """Email the submitter about one audit entry, once. True when an email went out."""
    return notifications.send_notification(entry_id)
