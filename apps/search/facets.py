"""Facet counts over a set of stories, a constant number of queries whatever its size."""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.http import QueryDict

from apps.catalog.aggregates import stored_aggregate
from apps.catalog.counts import stored_counts
from apps.catalog.models import (
    CatalogueChange,
    Component,
    ComponentArea,
    ImpactKind,
    Organization,
    Platform,
    Source,
    SourceKind,
    Story,
)
from apps.catalog.scopes import SCOPE, scope_of
from apps.core.querystrings import with_params

TOP_COMPONENTS = 20
TOP_ORGANIZATIONS = 12


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]


def toggle_url(params: QueryDict, name: str, value: str) -> str:
    """The query string with `value` added to or removed from parameter `name`."""
    values = params.getlist(name)
    toggled = [v for v in values if v != value] if value in values else [*values, value]
    # As QueryDict.setlist() and urlencode() would write it, without copying the
    # parameters for each of a page's many facet links.
    pairs = [
        (key, item)
        for key in params
        if key != "page"
        for item in (toggled if key == name else params.getlist(key))
    ]
    if name not in params and name != "page":
        pairs += [(name, item) for item in toggled]
    encoded = urlencode(pairs)
    return f"?{encoded}" if encoded else "?"


def _facet(params: QueryDict, name: str, label: str, rows: Sequence[Sequence[Any]]) -> Facet:
    selected = set(params.getlist(name))
    values = [
        FacetValue(value, text, count, value in selected, toggle_url(params, name, value))
        for value, text, count in rows
    ]
    return Facet(name, label, values)


FacetCounts = dict[str, list[list]]


def _facet_sql(ids_sql: str) -> str:
    """One statement counting every facet over the stories of `ids_sql` (id, organization,
    date), read once into a materialised set: each facet joins its link table to that set
    by story id instead of re-running the filter or the search. Rows: facet, value, label,
    position (the taxonomy's order), count; then the number of stories ("total") and
    whether changes to the stored counts are pending ("pending"), as of the same snapshot."""
    components = Story.components.through._meta.db_table
    platforms = Story.platforms.through._meta.db_table
    impacts = Story.impacts.through._meta.db_table
    component, area = Component._meta.db_table, ComponentArea._meta.db_table
    platform, impact = Platform._meta.db_table, ImpactKind._meta.db_table
    source, organization = Source._meta.db_table, Organization._meta.db_table
    if connection.vendor == "postgresql":
        year = "CAST(EXTRACT(YEAR FROM ids.published_on) AS INTEGER)"
    else:
        year = "CAST(strftime('%%Y', ids.published_on) AS INTEGER)"
    return (
        f"WITH ids (id, organization_id, published_on) AS MATERIALIZED ({ids_sql}) "  # noqa: S608 - table names
        f"SELECT 'component', c.slug, c.name, 0, COUNT(*) FROM {components} l "
        f"JOIN ids ON ids.id = l.story_id JOIN {component} c ON c.id = l.component_id "
        "GROUP BY c.slug, c.name "
        f"UNION ALL SELECT 'area', a.slug, a.name, a.position, COUNT(DISTINCT l.story_id) "
        f"FROM {components} l JOIN ids ON ids.id = l.story_id "
        f"JOIN {component} c ON c.id = l.component_id JOIN {area} a ON a.id = c.area_id "
        "GROUP BY a.slug, a.name, a.position "
        f"UNION ALL SELECT 'platform', p.slug, p.name, p.position, COUNT(*) FROM {platforms} l "
        f"JOIN ids ON ids.id = l.story_id JOIN {platform} p ON p.id = l.platform_id "
        "GROUP BY p.slug, p.name, p.position "
        f"UNION ALL SELECT 'impact', i.slug, i.name, i.position, COUNT(*) FROM {impacts} l "
        f"JOIN ids ON ids.id = l.story_id JOIN {impact} i ON i.id = l.impactkind_id "
        "GROUP BY i.slug, i.name, i.position "
        f"UNION ALL SELECT 'kind', s.kind, s.kind, 0, COUNT(DISTINCT s.story_id) FROM {source} s "
        "JOIN ids ON ids.id = s.story_id GROUP BY s.kind "
        # Counted before the join: a hundred organizations joined, not every story's.
        "UNION ALL SELECT 'organization', o.slug, o.name, 0, g.n FROM (SELECT "
        "organization_id, COUNT(*) AS n FROM ids GROUP BY organization_id) g "
        f"JOIN {organization} o ON o.id = g.organization_id "
        f"UNION ALL SELECT 'year', CAST({year} AS TEXT), '', 0, COUNT(*) FROM ids GROUP BY {year} "
        "UNION ALL SELECT 'total', '', '', 0, COUNT(*) FROM ids "
        "UNION ALL SELECT 'pending', '', '', 0, COUNT(*) "
        f"FROM (SELECT 1 FROM {CatalogueChange._meta.db_table} LIMIT 1) AS pending"
    )


def facet_counts(stories: QuerySet[Story], *, organizations: Iterable[str] = ()) -> FacetCounts:
    """Counts per area, component, platform, impact, source kind, organization and year
    among `stories` (already filtered and public), as JSON-serialisable rows, in one
    statement. Organizations: the busiest few, and those named in `organizations`."""
    return _arranged(_facet_rows(stories), organizations)


FacetRows = dict[str, list[tuple[str, str, int, int]]]


def _facet_rows(stories: QuerySet[Story]) -> FacetRows:
    """{facet: [(value, label, position, count)]}, "total" and "pending" too (_facet_sql)."""
    columns = ("pk", "organization_id", "published_on")
    try:
        ids_sql, params = stories.order_by().values_list(*columns).query.sql_with_params()
    except EmptyResultSet:
        # Nothing to count; the statement still runs, so every page costs the same.
        nothing = Story.objects.filter(pk=-1).values_list(*columns)
        ids_sql, params = nothing.query.sql_with_params()
    rows: FacetRows = {}
    with connection.cursor() as cursor:
        cursor.execute(_facet_sql(ids_sql), params)
        for facet, value, label, position, n in cursor.fetchall():
            rows.setdefault(facet, []).append((str(value), label, position, n))
    return rows


def _arranged(
    rows: dict[str, list[tuple[str, str, int, int]]], organizations: Iterable[str]
) -> FacetCounts:
    """Facet rows (value, label, position, count) in the order the pages show them."""

    def in_order(facet: str) -> list[list]:
        """The taxonomy's order (position, then name)."""
        ordered = sorted(rows.get(facet, []), key=lambda row: (row[2], row[1]))
        return [[value, label, n] for value, label, _, n in ordered]

    def busiest(facet: str) -> list[list]:
        ordered = sorted(rows.get(facet, []), key=lambda row: (-row[3], row[1]))
        return [[value, label, n] for value, label, _, n in ordered]

    wanted = set(organizations)
    return {
        "area": in_order("area"),
        "component": busiest("component"),
        "platform": in_order("platform"),
        "impact": in_order("impact"),
        "kind": sorted([value, n] for value, _, _, n in rows.get("kind", [])),
        "organization": [
            row
            for index, row in enumerate(busiest("organization"))
            if index < TOP_ORGANIZATIONS or row[0] in wanted
        ],
        "year": sorted(([int(value), n] for value, _, _, n in rows.get("year", [])), reverse=True),
    }


def public_facet_counts() -> dict[str, Any]:
    """facet_counts() of the whole public catalogue, with its number of stories ("total")
    and of organizations, stored until the catalogue changes."""

    return stored_aggregate("facets", _public_facet_counts)


def _public_facet_counts() -> dict[str, Any]:
    """public_facet_counts() from the stored counts (apps/catalog/counts.py): a few small
    queries over the taxonomy, whatever the size of the catalogue."""
    counts = stored_counts()
    rows: dict[str, list[tuple[str, str, int, int]]] = {}

    def add(facet: str, value: str, label: str, position: int, key: str) -> None:
        if counts.get(key):
            rows.setdefault(facet, []).append((value, label, position, counts[key]))

    for pk, slug, name in Component.objects.order_by().values_list("pk", "slug", "name"):
        add("component", slug, name, 0, f"c{pk}")
    for model, facet, prefix in (
        (ComponentArea, "area", "a"),
        (Platform, "platform", "p"),
        (ImpactKind, "impact", "i"),
    ):
        for pk, slug, name, position in model.objects.values_list(  # type: ignore[attr-defined]
            "pk", "slug", "name", "position"
        ):
            add(facet, slug, name, position, f"{prefix}{pk}")
    for key, n in counts.items():
        if key.startswith("k"):
            rows.setdefault("kind", []).append((key[1:], key[1:], 0, n))
        elif key.startswith("y") and not key.startswith("ya"):
            rows.setdefault("year", []).append((key[1:], "", 0, n))
    organizations = {int(key[1:]): n for key, n in counts.items() if key.startswith("o")}
    # Names only for the busiest (and whoever ties with the last of them).
    busiest = sorted(organizations.values(), reverse=True)[:TOP_ORGANIZATIONS]
    for pk, slug, name in Organization.objects.filter(
        pk__in=[pk for pk, n in organizations.items() if busiest and n >= busiest[-1]]
    ).values_list("pk", "slug", "name"):
        add("organization", slug, name, 0, f"o{pk}")
    return {
        **_arranged(rows, ()),
        "total": counts.get("t", 0),
        "organizations": len(organizations),
    }


# Stored counts are kept for combinations of at most this many filter values; a longer
# list counts its own on every request.
STORED_FILTERS = 3


def filtered_facet_counts(
    stories: QuerySet[Story], active: list[tuple[str, str]]
) -> dict[str, Any]:
    """facet_counts() and "total" of `stories`, the public stories narrowed by the filter
    values `active`, stored until a change to the stories they select, one row per
    combination (the same row whatever the order of the parameters). Counted with no
    change pending, a row holds its filter values: refreshes then keep it while the stories
    they count again are not selected by them (apps/catalog/scopes.py)."""
    selected = sorted(dict.fromkeys(active))
    organizations = [value for name, value in selected if name == "organization"]

    def compute() -> dict[str, Any]:
        rows = _facet_rows(stories)
        counts = {**_arranged(rows, organizations), "total": _single(rows, "total")}
        if not _single(rows, "pending"):
            counts[SCOPE] = scope_of(selected)
        return counts

    if len(selected) > STORED_FILTERS:
        return compute()
    text = "&".join(f"{name}={value}" for name, value in selected)
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return stored_aggregate(f"facets:{digest}", compute)  # type: ignore[no-any-return]


def _single(rows: FacetRows, name: str) -> int:
    ((_, _, _, n),) = rows[name]
    return n


def story_facets(
    stories: QuerySet[Story], params: QueryDict, *, counts: dict[str, Any] | None = None
) -> list[Facet]:
    """The facets of `stories` (already filtered and public), with links that toggle each
    value; `counts` when already known (the whole catalogue's, say)."""
    selected_orgs = params.getlist("organization")
    if counts is None:
        counts = facet_counts(stories, organizations=selected_orgs)
    selected_components = set(params.getlist("component"))
    components = counts["component"]
    shown = components[:TOP_COMPONENTS] + [
        row for row in components[TOP_COMPONENTS:] if row[0] in selected_components
    ]
    kind_labels = dict(SourceKind.choices)
    orgs = set(selected_orgs)
    return [
        _facet(params, "area", "Area", counts["area"]),
        _facet(params, "component", "Component", shown),
        _facet(params, "platform", "Platform", counts["platform"]),
        _facet(params, "impact", "Impact", counts["impact"]),
        _facet(
            params,
            "kind",
            "Source kind",
            [(kind, kind_labels.get(kind, kind), n) for kind, n in counts["kind"]],
        ),
        _facet(
            params,
            "organization",
            "Organization",
            [
                row
                for index, row in enumerate(counts["organization"])
                if index < TOP_ORGANIZATIONS or row[0] in orgs
            ],
        ),
        _year_facet(params, counts["year"]),
    ]


def _year_facet(params: QueryDict, rows: Sequence[Sequence[int]]) -> Facet:
    """Years narrow through the year range: a year's link sets from = to = that year."""
    current = (params.get("year_from"), params.get("year_to"))
    values = []
    for year, count in rows:
        selected = current == (str(year), str(year))
        bound = None if selected else str(year)
        url = with_params(params, year_from=bound, year_to=bound)
        values.append(FacetValue(str(year), str(year), count, selected, url))
    return Facet("year", "Year", values)
