"""Facet counts over a set of stories, a constant number of queries whatever its size."""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import QueryDict

from apps.catalog.aggregates import stored_aggregate
from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Platform,
    Source,
    SourceKind,
    Story,
)

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


def with_params(params: QueryDict, **changes: str | list[str] | None) -> str:
    """The query string with parameters set (a list sets several values; None removes
    the parameter), always back on the first page."""
    updated = params.copy()
    updated.pop("page", None)
    for name, value in changes.items():
        if value is None:
            updated.pop(name, None)
        elif isinstance(value, list):
            updated.setlist(name, value)
        else:
            updated[name] = value
    return f"?{updated.urlencode()}"


def toggle_url(params: QueryDict, name: str, value: str) -> str:
    """The query string with `value` added to or removed from parameter `name`."""
    updated = params.copy()
    values = updated.getlist(name)
    updated.setlist(
        name, [v for v in values if v != value] if value in values else [*values, value]
    )
    updated.pop("page", None)
    encoded = updated.urlencode()
    return f"?{encoded}" if encoded else "?"


def _facet(params: QueryDict, name: str, label: str, rows: Sequence[Sequence[Any]]) -> Facet:
    selected = set(params.getlist(name))
    values = [
        FacetValue(value, text, count, value in selected, toggle_url(params, name, value))
        for value, text, count in rows
    ]
    return Facet(name, label, values)


FacetCounts = dict[str, list[list]]


def facet_counts(stories: QuerySet[Story], *, organizations: Iterable[str] = ()) -> FacetCounts:
    """Counts per area, component, platform, impact, source kind, organization and year
    among `stories` (already filtered and public), as JSON-serialisable rows. Organizations:
    the busiest few, and those named in `organizations`."""
    ids = stories.order_by().values("pk")
    through = Story.components.through.objects.filter(story__in=ids)

    component_counts = dict(
        through.values_list("component_id").annotate(n=Count("story_id", distinct=True))
    )
    area_counts = dict(
        through.values_list("component__area_id").annotate(n=Count("story_id", distinct=True))
    )
    components = {c.pk: c for c in Component.objects.all()}
    top = sorted(component_counts.items(), key=lambda item: (-item[1], components[item[0]].name))
    platform_counts = Platform.objects.filter(stories__in=ids).annotate(
        n=Count("stories", distinct=True)
    )
    impact_counts = ImpactKind.objects.filter(stories__in=ids).annotate(
        n=Count("stories", distinct=True)
    )
    kind_counts = (
        Source.objects.filter(story__in=ids)
        .values_list("kind")
        .annotate(n=Count("story_id", distinct=True))
        .order_by("kind")
    )
    wanted = set(organizations)
    busiest = (
        stories.exclude(organization=None)
        .order_by()
        .values_list("organization__slug", "organization__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "organization__name")
    )
    org_rows = [
        list(row)
        for index, row in enumerate(busiest)
        if index < TOP_ORGANIZATIONS or row[0] in wanted
    ]
    years = (
        stories.order_by()
        .values_list("published_on__year")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-published_on__year")
    )
    return {
        "area": [
            [a.slug, a.name, area_counts[a.pk]]
            for a in ComponentArea.objects.all()
            if a.pk in area_counts
        ],
        "component": [[components[pk].slug, components[pk].name, n] for pk, n in top],
        "platform": [[p.slug, p.name, p.n] for p in platform_counts],
        "impact": [[i.slug, i.name, i.n] for i in impact_counts],
        "kind": [[kind, n] for kind, n in kind_counts],
        "organization": org_rows,
        "year": [[year, n] for year, n in years],
    }


def public_facet_counts() -> dict[str, Any]:
    """facet_counts() of the whole public catalogue, with its number of stories ("total")
    and of organizations, stored until the catalogue changes."""

    def compute() -> dict[str, Any]:
        public = Story.objects.public()
        return {
            **facet_counts(public),
            "total": public.count(),
            "organizations": public.exclude(organization=None)
            .values("organization")
            .distinct()
            .count(),
        }

    return stored_aggregate("facets", compute)


def single_value_facet_counts(stories: QuerySet[Story], name: str, value: str) -> dict[str, Any]:
    """facet_counts() of `stories`, the public stories with one filter value (one component,
    one organization...), with their number ("total"); stored until the catalogue changes,
    one row per value."""
    digest = hashlib.sha256(f"{name}={value}".encode()).hexdigest()[:32]

    def compute() -> dict[str, Any]:
        organizations = [value] if name == "organization" else []
        return {**facet_counts(stories, organizations=organizations), "total": stories.count()}

    return stored_aggregate(f"facets:{digest}", compute)


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
