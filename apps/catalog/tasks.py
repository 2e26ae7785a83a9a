"""Celery tasks for the catalogue."""

from celery import shared_task


@shared_task(acks_late=True)
def refresh_catalogue_aggregates() -> int:
    """Recompute the stored catalogue aggregates after writes (see apps/catalog/aggregates.py)."""
    from apps.catalog.aggregates import refresh_aggregates

    return refresh_aggregates()
