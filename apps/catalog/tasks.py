"""Celery tasks for the catalogue."""

from celery import shared_task

from apps.catalog.refresh import refresh_aggregates


@shared_task(acks_late=True)
def refresh_catalogue_aggregates() -> int:
    """Recompute the stored catalogue aggregates after writes (see apps/catalog/aggregates.py)."""
    return refresh_aggregates()
