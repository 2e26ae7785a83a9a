"""Refreshing the stored catalogue aggregates (see apps/catalog/aggregates.py): the registry
of aggregates, the version they are stored at, and the refresh that recomputes them. The
Celery task (apps/catalog/tasks.py) and the readers (aggregates.py) both import this module,
which imports neither of them.
"""

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from apps.catalog.counts import update_counts
from apps.catalog.models import CatalogueAggregate, CatalogueVersion
from apps.catalog.scopes import SCOPE, kept_keys
from apps.core.sharedcache import catalogue_changed

VERSION_ROW = 1
# Serialises refreshes on PostgreSQL (pg_advisory_xact_lock); any constant of our own.
REFRESH_LOCK = 0x6B66_7301
# Set while a refresh is queued, so a busy site queues one task, not one per request.
QUEUED_KEY = "catalog:aggregates:refresh-queued"
QUEUED_SECONDS = 60

_REGISTERED: dict[str, Callable[[], Any]] = {}
# The version a running refresh stores at (None outside a refresh).
refreshing: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "catalogue_refreshing", default=None
)


def register_aggregate(reader: Callable[[], Any]) -> Callable[[], Any]:
    """Mark a zero-argument function that reads its data with stored_aggregate() as one a
    refresh recomputes, so its readers never compute it themselves."""
    _REGISTERED[f"{reader.__module__}.{reader.__qualname__}"] = reader
    return reader


def refresh_aggregates() -> int:
    """Account for every logged change: raise the version and recompute each registered
    aggregate at it, in one transaction (readers see the old rows until it commits).
    Returns the version stored aggregates now have; with no change logged, nothing runs."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
            # Only committed rows are seen and deleted; a write still in flight keeps its
            # row for the next refresh (what it commits while this one computes may be
            # counted now and again then, never missed).
            cursor.execute("DELETE FROM catalog_cataloguechange RETURNING story_id, recount")
            logged = cursor.fetchall()
            changes = len(logged)
        cache.delete(QUEUED_KEY)
        current = CatalogueVersion.objects.filter(pk=VERSION_ROW).values_list("value", flat=True)
        if not changes and current:
            return current[0]  # another refresh accounted for them
        if not CatalogueVersion.objects.filter(pk=VERSION_ROW).update(value=F("value") + 1):
            create_version_row()
        version = CatalogueVersion.objects.get(pk=VERSION_ROW).value
        catalogue_changed()  # pages show the counts: the shared cache drops its copies
        moved = update_counts(
            story_ids={story for story, _ in logged if story is not None},
            recount=any(recount for _, recount in logged),
        )
        # A change logged without a story is one of the taxonomy, whose names all show.
        taxonomy_changed = any(story is None for story, _ in logged)
        kept = kept_keys(version - 1, None if taxonomy_changed else moved)
        CatalogueAggregate.objects.filter(
            key__in=kept, version=version - 1, data__has_key=SCOPE
        ).update(version=version)
        # Rows of older versions can never be read again.
        CatalogueAggregate.objects.filter(version__lt=version).delete()
        with _refreshing_at(version):
            for reader in _REGISTERED.values():
                reader()
    return version


@contextmanager
def _refreshing_at(version: int) -> Iterator[None]:
    token = refreshing.set(version)
    try:
        yield
    finally:
        refreshing.reset(token)


def store(key: str, version: int, data: Any) -> Any:
    CatalogueAggregate.objects.bulk_create(
        [CatalogueAggregate(key=key, version=version, data=data)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["version", "data", "computed_at"],
    )
    return data


def create_version_row() -> int:
    # Only after a flush (tests); aggregates stored before it may not be trusted.
    try:
        with transaction.atomic():
            CatalogueVersion.objects.create(pk=VERSION_ROW, value=1)
    except IntegrityError:
        pass
    CatalogueAggregate.objects.all().delete()
    return CatalogueVersion.objects.get(pk=VERSION_ROW).value
