"""Celery tasks for the catalogue."""

from apps.catalog.refresh import refresh_aggregates
from apps.core.retries import task_retrying_outages


@task_retrying_outages()
def refresh_catalogue_aggregates() -> int:
    """Recompute the stored catalogue aggregates after writes (see apps/catalog/aggregates.py)."""
    return refresh_aggregates()
