"""Counts over the whole public catalogue, kept in the database and refreshed outside the
request that reads them.

Triggers (migrations 0008 and 0010) append a CatalogueChange row on every insert, update or
delete that can change a public count, so bulk imports, queryset updates and raw SQL are
all seen; writers only insert, so they never wait for each other. A refresh deletes the
change rows it can see, raises CatalogueVersion and recomputes every registered aggregate
at the new version, in one transaction: a write it did not see leaves its row behind, and
the next refresh covers it. The counts behind the aggregates move by the stories the log
names (apps/catalog/counts.py), so a refresh costs what changed, not the catalogue's size.
A reader takes one query: the stored row, the version and whether changes are pending.
Pending changes ask for a refresh: with a Celery broker the worker runs it and readers are
served the stored rows meanwhile; without one (tests, development) the reader runs it before
answering, as the only process there is.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, JSONField, OuterRef, Subquery
from django.db.models.fields.json import KeyTransform

from apps.catalog.models import CatalogueAggregate, CatalogueChange, CatalogueVersion
from apps.catalog.refresh import (
    QUEUED_KEY,
    QUEUED_SECONDS,
    VERSION_ROW,
    create_version_row,
    refresh_aggregates,
    refreshing,
    store,
)
from apps.catalog.tasks import refresh_catalogue_aggregates

logger = logging.getLogger(__name__)


def stored_aggregate(key: str, compute: Callable[[], Any], *, item: str | None = None) -> Any:
    """`compute()` (JSON-serialisable) as of the stored catalogue version: one query when
    stored. A key never stored at this version is computed and stored by its reader (a
    registered aggregate only the first time, or after a flush). With `item`, only that
    member of the stored object is read (None when absent): a large aggregate is not
    fetched whole for one number."""
    version = refreshing.get()
    if version is not None:
        return _part(store(key, version, compute()), item)
    stored: Any = Subquery(
        CatalogueAggregate.objects.filter(key=key, version=OuterRef("value")).values("data")[:1],
        output_field=JSONField(),
    )
    current = (
        CatalogueVersion.objects.filter(pk=VERSION_ROW)
        .annotate(
            stored=stored if item is None else KeyTransform(item, stored),
            pending=Exists(CatalogueChange.objects.all()),
        )
        .values_list("value", "stored", "pending")
        .first()
    )
    if current is None:
        version, stored, pending = create_version_row(), None, True
    else:
        version, stored, pending = current
    if pending and request_refresh():
        return _part(_read_after_refresh(key, compute), item)
    if stored is not None or (item is not None and _is_stored(key, version)):
        return stored
    return _part(store(key, version, compute()), item)


def _part(data: Any, item: str | None) -> Any:
    return data if item is None else data.get(item)


def _is_stored(key: str, version: int) -> bool:
    return CatalogueAggregate.objects.filter(key=key, version=version).exists()


def request_refresh() -> bool:
    """Ask for the stored aggregates to be recomputed. True when it ran here and then
    (no broker: tasks run eagerly), False when queued for a worker or already queued."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        refresh_aggregates()
        return True
    if not cache.add(QUEUED_KEY, 1, QUEUED_SECONDS):
        return False
    try:
        # Without publish retries: Celery's default back-off kept each reader 0.6 s.
        refresh_catalogue_aggregates.apply_async(retry=False)
    except Exception:  # any broker failure: kombu raises its own OperationalError
        # The page is still right as of the stored version. The key stays until it
        # expires: a broker that is down costs one reader a minute a refused connection.
        logger.warning("could not queue a refresh of the catalogue aggregates", exc_info=True)
    return False


def _read_after_refresh(key: str, compute: Callable[[], Any]) -> Any:
    version = CatalogueVersion.objects.get(pk=VERSION_ROW).value
    stored = (
        CatalogueAggregate.objects.filter(key=key, version=version)
        .values_list("data", flat=True)
        .first()
    )
    return stored if stored is not None else store(key, version, compute())
