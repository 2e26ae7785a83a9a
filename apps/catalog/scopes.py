"""Stored aggregates over the public stories a few filter values select (the facet counts of
/stories/?component=dns, say), kept across the refreshes that cannot change them.

Such an aggregate holds its filter values (StoryFilterSet's names, and slugs or years) under
SCOPE in its data, written only when it was computed with no change pending, in the same
statement: its data then counts every story as the stored counts do (CountedStory). A
refresh knows, for each story whose keys moved (apps/catalog/counts.py), the keys it was
counted under before and after. A filter value selects a story only by one of those keys
(component dns by c<its id>, a year range by y<year>...), so an aggregate that neither key
set can be selected by counts the same stories as before, and keeps its data at the new
version: the invariant holds again. Every other stored aggregate is dropped, as is every
one after a recount or a change of the taxonomy (names and positions are in the data), and
is counted again by its next reader.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.db.models.fields.json import KeyTransform

from apps.catalog.counts import KeysMoved
from apps.catalog.models import (
    CatalogueAggregate,
    Component,
    ComponentArea,
    ImpactKind,
    Organization,
    Platform,
)

SCOPE = "scope"
# The most recently computed this many are looked at; older ones are dropped.
KEPT_AT_MOST = 500
# Past this many stories moved, checking each aggregate against each costs more than
# counting the few that are read again.
CHECKED_AT_MOST = 1000

# Filters selecting by a term's id, and the prefix of the count key that term gives.
_TERMS: dict[str, tuple[type[Model], str]] = {
    "component": (Component, "c"),
    "area": (ComponentArea, "a"),
    "platform": (Platform, "p"),
    "impact": (ImpactKind, "i"),
    "organization": (Organization, "o"),
}


def scope_of(filters: Iterable[tuple[str, str]]) -> list[list[str]]:
    """What to store under SCOPE for these (filter, value) pairs."""
    return [[name, value] for name, value in filters]


def kept_keys(previous: int, moved: list[KeysMoved] | None) -> list[str]:
    """The keys of the scoped aggregates stored at version `previous` that none of the
    `moved` stories was or is selected by (none when `moved` is None: everything changed)."""
    if moved is None or len(moved) > CHECKED_AT_MOST:
        return []
    rows = list(
        CatalogueAggregate.objects.filter(version=previous, data__has_key=SCOPE)
        .order_by("-computed_at")
        .values_list("key", KeyTransform(SCOPE, "data"))[:KEPT_AT_MOST]
    )
    if not moved:
        return [key for key, _ in rows]
    ids = _term_ids([pair for _, scope in rows for pair in scope])
    kept = []
    for key, scope in rows:
        selection = _Selection.of(scope, ids)
        if selection is not None and not any(
            selection.selects(keys) for story in moved for keys in story
        ):
            kept.append(key)
    return kept


def _term_ids(pairs: Sequence[Sequence[str]]) -> dict[tuple[str, str], int]:
    """{(filter, slug): id} of the terms named, one query per kind of term."""
    ids: dict[tuple[str, str], int] = {}
    for name, (model, _) in _TERMS.items():
        slugs = {value for filter_name, value in pairs if filter_name == name}
        if slugs:
            rows = model._default_manager.filter(slug__in=slugs).values_list("slug", "pk")
            ids.update(((name, slug), pk) for slug, pk in rows)
    return ids


@dataclass(frozen=True)
class _Selection:
    """What a story's count keys need for the filter values to select it, or more: several
    values of one filter are taken as any of them, several years as the widest range."""

    groups: tuple[frozenset[str], ...]  # a key of each
    years: tuple[int, int] | None

    @classmethod
    def of(cls, scope: Any, ids: dict[tuple[str, str], int]) -> "_Selection | None":
        """None when a value is unknown or no longer names a term."""
        groups: dict[str, set[str]] = {}
        starts: list[int] = []
        ends: list[int] = []
        for name, value in scope:
            if name in _TERMS:
                pk = ids.get((name, value))
                if pk is None:
                    return None
                groups.setdefault(name, set()).add(f"{_TERMS[name][1]}{pk}")
            elif name == "kind":
                groups.setdefault(name, set()).add(f"k{value}")
            elif name in ("year_from", "year_to") and str(value).isdigit():
                (starts if name == "year_from" else ends).append(int(value))
            else:
                return None
        years = (min(starts, default=0), max(ends, default=9999)) if starts or ends else None
        return cls(tuple(frozenset(group) for group in groups.values()), years)

    def selects(self, keys: frozenset[str]) -> bool:
        if not all(group & keys for group in self.groups):
            return False
        if self.years is None:
            return True
        start, end = self.years
        return any(
            start <= int(key[1:]) <= end for key in keys if key[:1] == "y" and key[1:].isdigit()
        )
