"""Celery tasks of the floor every app uses."""

from celery import shared_task

from apps.core import outbox


@shared_task
def sweep_outbox() -> int:
    return outbox.sweep()
