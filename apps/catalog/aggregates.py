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

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, JSONField, OuterRef, Subquery
from django.db.models.fields.json import KeyTransform

from apps.catalog.counts import update_counts
from apps.catalog.models import CatalogueAggregate, CatalogueChange, CatalogueVersion
from apps.core.sharedcache import catalogue_changed

logger = logging.getLogger(__name__)

VERSION_ROW = 1
# Serialises refreshes on PostgreSQL (pg_advisory_xact_lock); any constant of our own.
REFRESH_LOCK = 0x6B66_7301
# Set while a refresh is queued, so a busy site queues one task, not one per request.
QUEUED_KEY = "catalog:aggregates:refresh-queued"
QUEUED_SECONDS = 60

_REGISTERED: dict[str, Callable[[], Any]] = {}
# The version a running refresh stores at (None outside a refresh).
_refreshing: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "catalogue_refreshing", default=None
)


def register_aggregate(reader: Callable[[], Any]) -> Callable[[], Any]:
    """Mark a zero-argument function that reads its data with stored_aggregate() as one a
    refresh recomputes, so its readers never compute it themselves."""
    _REGISTERED[f"{reader.__module__}.{reader.__qualname__}"] = reader
    return reader


def stored_aggregate(key: str, compute: Callable[[], Any], *, item: str | None = None) -> Any:
    """`compute()` (JSON-serialisable) as of the stored catalogue version: one query when
    stored. A key never stored at this version is computed and stored by its reader (a
    registered aggregate only the first time, or after a flush). With `item`, only that
    member of the stored object is read (None when absent): a large aggregate is not
    fetched whole for one number."""
    version = _refreshing.get()
    if version is not None:
        return _part(_store(key, version, compute()), item)
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
        version, stored, pending = _create_version_row(), None, True
    else:
        version, stored, pending = current
    if pending and request_refresh():
        return _part(_read_after_refresh(key, compute), item)
    if stored is not None or (item is not None and _is_stored(key, version)):
        return stored
    return _part(_store(key, version, compute()), item)


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
    from apps.catalog.tasks import refresh_catalogue_aggregates

    try:
        refresh_catalogue_aggregates.delay()
    except OSError:
        # The page is still right as of the stored version; the next reader asks again.
        cache.delete(QUEUED_KEY)
        logger.warning("could not queue a refresh of the catalogue aggregates", exc_info=True)
    return False


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
            _create_version_row()
        version = CatalogueVersion.objects.get(pk=VERSION_ROW).value
        catalogue_changed()  # pages show the counts: the shared cache drops its copies
        # Rows of older versions can never be read again.
        CatalogueAggregate.objects.filter(version__lt=version).delete()
        update_counts(
            story_ids={story for story, _ in logged if story is not None},
            recount=any(recount for _, recount in logged),
        )
        with _refreshing_at(version):
            for reader in _REGISTERED.values():
                reader()
    return version


@contextmanager
def _refreshing_at(version: int) -> Iterator[None]:
    token = _refreshing.set(version)
    try:
        yield
    finally:
        _refreshing.reset(token)


def _read_after_refresh(key: str, compute: Callable[[], Any]) -> Any:
    version = CatalogueVersion.objects.get(pk=VERSION_ROW).value
    stored = (
        CatalogueAggregate.objects.filter(key=key, version=version)
        .values_list("data", flat=True)
        .first()
    )
    return stored if stored is not None else _store(key, version, compute())


def _store(key: str, version: int, data: Any) -> Any:
    CatalogueAggregate.objects.bulk_create(
        [CatalogueAggregate(key=key, version=version, data=data)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["version", "data", "computed_at"],
    )
    return data


def _create_version_row() -> int:
    # Only after a flush (tests); aggregates stored before it may not be trusted.
    try:
        with transaction.atomic():
            CatalogueVersion.objects.create(pk=VERSION_ROW, value=1)
    except IntegrityError:
        pass
    CatalogueAggregate.objects.all().delete()
    return CatalogueVersion.objects.get(pk=VERSION_ROW).value
