"""Facet counts over a set of stories, a constant number of queries whatever its size."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import QueryDict

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


def _facet(params: QueryDict, name: str, label: str, rows: list[tuple[str, str, int]]) -> Facet:
    selected = set(params.getlist(name))
    values = [
        FacetValue(value, text, count, value in selected, toggle_url(params, name, value))
        for value, text, count in rows
    ]
    return Facet(name, label, values)


def story_facets(stories: QuerySet[Story], params: QueryDict) -> list[Facet]:
    """Counts per area, component, platform, impact, source kind, organization and year
    among `stories` (already filtered and public), with links that toggle each value."""
    ids = stories.order_by().values("pk")
    through = Story.components.through.objects.filter(story__in=ids)

    component_counts = dict(
        through.values_list("component_id").annotate(n=Count("story_id", distinct=True))
    )
    area_counts = dict(
        through.values_list("component__area_id").annotate(n=Count("story_id", distinct=True))
    )
    components = {c.pk: c for c in Component.objects.all()}
    selected_components = set(params.getlist("component"))
    top = sorted(component_counts.items(), key=lambda item: (-item[1], components[item[0]].name))
    shown = [pk for pk, _ in top[:TOP_COMPONENTS]] + [
        pk for pk, _ in top[TOP_COMPONENTS:] if components[pk].slug in selected_components
    ]

    platform_counts = Platform.objects.filter(stories__in=ids).annotate(
        n=Count("stories", distinct=True)
    )
    impact_counts = ImpactKind.objects.filter(stories__in=ids).annotate(
        n=Count("stories", distinct=True)
    )
    kind_counts = dict(
        Source.objects.filter(story__in=ids)
        .values_list("kind")
        .annotate(n=Count("story_id", distinct=True))
    )
    organizations = (
        stories.order_by()
        .values_list("organization__slug", "organization__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "organization__name")
    )
    selected_orgs = set(params.getlist("organization"))
    org_rows = [
        row
        for index, row in enumerate(organizations)
        if index < TOP_ORGANIZATIONS or row[0] in selected_orgs
    ]
    years = (
        stories.order_by()
        .values_list("published_on__year")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-published_on__year")
    )
    areas = ComponentArea.objects.all()
    kind_labels = dict(SourceKind.choices)
    return [
        _facet(
            params,
            "area",
            "Area",
            [(a.slug, a.name, area_counts[a.pk]) for a in areas if a.pk in area_counts],
        ),
        _facet(
            params,
            "component",
            "Component",
            [(components[pk].slug, components[pk].name, component_counts[pk]) for pk in shown],
        ),
        _facet(params, "platform", "Platform", [(p.slug, p.name, p.n) for p in platform_counts]),
        _facet(params, "impact", "Impact", [(i.slug, i.name, i.n) for i in impact_counts]),
        _facet(
            params,
            "kind",
            "Source kind",
            [(kind, kind_labels[kind], count) for kind, count in kind_counts.items()],
        ),
        _facet(
            params, "organization", "Organization", [(slug, name, n) for slug, name, n in org_rows]
        ),
        _year_facet(params, [(year, n) for year, n in years]),
    ]


def _year_facet(params: QueryDict, rows: list[tuple[int, int]]) -> Facet:
    """Years narrow through the year range: a year's link sets from = to = that year."""
    current = (params.get("year_from"), params.get("year_to"))
    values = []
    for year, count in rows:
        selected = current == (str(year), str(year))
        bound = None if selected else str(year)
        url = with_params(params, year_from=bound, year_to=bound)
        values.append(FacetValue(str(year), str(year), count, selected, url))
    return Facet("year", "Year", values)
