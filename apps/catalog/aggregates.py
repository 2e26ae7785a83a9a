"""Counts over the whole public catalogue, kept in the database until the catalogue changes.

Triggers (migration 0006) raise CatalogueVersion.value in the writing transaction on
every insert, update or delete that can change a public count, so bulk imports, queryset
updates and raw SQL are all seen. A reader takes the version first and the data after,
so a stored aggregate never holds data older than its version.
"""

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import JSONField, OuterRef, Subquery

from apps.catalog.models import CatalogueAggregate, CatalogueVersion

VERSION_ROW = 1


def stored_aggregate(key: str, compute: Callable[[], Any]) -> Any:
    """`compute()` (JSON-serialisable) as of the current catalogue: one query when stored,
    otherwise computed and stored for the next reader."""
    current = (
        CatalogueVersion.objects.filter(pk=VERSION_ROW)
        .annotate(
            stored=Subquery(
                CatalogueAggregate.objects.filter(key=key, version=OuterRef("value")).values(
                    "data"
                )[:1],
                output_field=JSONField(),
            )
        )
        .values_list("value", "stored")
        .first()
    )
    if current is None:
        version = _create_version_row()
    else:
        version, stored = current
        if stored is not None:
            return stored
    data = compute()
    # Rows of older versions can never be read again.
    CatalogueAggregate.objects.filter(version__lt=version).delete()
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
