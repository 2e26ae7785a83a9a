"""Celery tasks for submissions: thin wrappers that take ids."""

from apps.core.retries import task_retrying_outages
from apps.submissions import notifications


# An SMTP server out of reach is retried as the database is (apps/core/retries.py); sending
# stays idempotent (the Notification row).
@task_retrying_outages(OSError)
def notify_submitter(entry_id: int) -> bool:
    """Email the submitter about one audit entry, once. True when an email went out."""
    return notifications.send_notification(entry_id)
