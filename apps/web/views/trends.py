"""The Trends page: what the published catalogue looks like by year, component and platform.

Every count starts at Story.objects.public(), kept up to date by apps/catalog/counts.py; the
four aggregates are stored until the catalogue changes, so the page reads one row however
large the catalogue grows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from apps.catalog.aggregates import stored_aggregate
from apps.catalog.counts import stored_counts
from apps.catalog.models import Component, ComponentArea, Platform
from apps.web.charts import Bar, Series, chart_legend, horizontal_bar_chart, stacked_bar_chart

TOP_COMPONENTS = 15


@dataclass(frozen=True)
class AreaColumn:
    slug: str
    name: str
    series_index: int


@dataclass(frozen=True)
class YearRow:
    year: int
    area_counts: list[int]
    stories: int


@dataclass(frozen=True)
class RankedRow:
    slug: str
    name: str
    stories: int
    area_slug: str = ""
    area_name: str = ""


class TrendsView(TemplateView):
    template_name = "web/trends.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        data = trends_counts()
        areas, year_rows = _year_rows(data)
        components = _component_rows(data)
        platforms, no_platform = _platform_rows(data)
        context.update(
            story_count=sum(row.stories for row in year_rows),
            areas=areas,
            year_rows=year_rows,
            area_totals=[sum(row.area_counts[i] for row in year_rows) for i in range(len(areas))],
            year_chart=_year_chart(areas, year_rows),
            area_legend=chart_legend([area.name for area in areas], name="Component areas"),
            components=components,
            component_chart=_component_chart(areas, components),
            platforms=platforms,
            no_platform_count=no_platform,
            platform_chart=_platform_chart(platforms),
        )
        return context


def trends_counts() -> dict[str, Any]:
    """The page's aggregates, stored until the catalogue changes."""
    return stored_aggregate("trends", _trends_counts)  # type: ignore[no-any-return]


def _trends_counts() -> dict[str, Any]:
    """The four aggregates the page draws, over the whole public catalogue, from the
    stored counts (apps/catalog/counts.py): a few small queries over the taxonomy."""
    counts = stored_counts()
    areas = {
        pk: {"area_slug": slug, "area_name": name, "area_position": position}
        for pk, slug, name, position in ComponentArea.objects.values_list(
            "pk", "slug", "name", "position"
        )
    }
    # A story counts once per area it touches, so the areas of a year can add up
    # to more than the stories published that year.
    year_area_counts = []
    year_counts = []
    for key, n in counts.items():
        if key.startswith("ya"):
            year, area = key[2:].split(":")
            if int(area) in areas:
                year_area_counts.append({"year": int(year), **areas[int(area)], "stories": n})
        elif key.startswith("y"):
            year_counts.append({"year": int(key[1:]), "stories": n})
    year_counts.sort(key=lambda row: row["year"])
    component_counts: list[dict[str, Any]] = [
        {
            "component_slug": slug,
            "component_name": name,
            "area_slug": areas[area]["area_slug"],
            "area_name": areas[area]["area_name"],
            "stories": counts[f"c{pk}"],
        }
        for pk, slug, name, area in Component.objects.order_by().values_list(
            "pk", "slug", "name", "area"
        )
        if counts.get(f"c{pk}")
    ]
    component_counts.sort(key=lambda row: (-row["stories"], row["component_name"]))
    # Stories without a platform are one row whose platform is None.
    platform_counts: list[dict[str, Any]] = [
        {"platform_slug": slug, "platform_name": name, "platform_position": position}
        | {"stories": counts[f"p{pk}"]}
        for pk, slug, name, position in Platform.objects.values_list(
            "pk", "slug", "name", "position"
        )
        if counts.get(f"p{pk}")
    ]
    if counts.get("p"):
        platform_counts.append(
            {
                "platform_slug": None,
                "platform_name": None,
                "platform_position": None,
                "stories": counts["p"],
            }
        )
    platform_counts.sort(
        key=lambda row: (
            -row["stories"],
            row["platform_position"] is None,
            row["platform_position"] or 0,
            row["platform_name"] or "",
        )
    )
    return {
        "year_area_counts": year_area_counts,
        "year_counts": year_counts,
        "component_counts": component_counts[:TOP_COMPONENTS],
        "platform_counts": platform_counts,
    }


def _year_table(
    year_area_counts: Sequence[Mapping[str, Any]], year_counts: Sequence[Mapping[str, Any]]
) -> tuple[list[AreaColumn], list[YearRow]]:
    """Areas in taxonomy order, and one row per year from the first to the last, gaps included."""
    seen = {
        (row["area_position"], row["area_name"], row["area_slug"])
        for row in year_area_counts
        if row["area_slug"] is not None
    }
    areas = [
        AreaColumn(slug=slug, name=name, series_index=index)
        for index, (_, name, slug) in enumerate(sorted(seen))
    ]
    if not year_counts:
        return areas, []
    counts = {(row["year"], row["area_slug"]): row["stories"] for row in year_area_counts}
    stories = {row["year"]: row["stories"] for row in year_counts}
    years = range(min(stories), max(stories) + 1)
    rows = [
        YearRow(
            year=year,
            area_counts=[counts.get((year, area.slug), 0) for area in areas],
            stories=stories.get(year, 0),
        )
        for year in years
    ]
    return areas, rows


def _year_rows(data: Mapping[str, Any]) -> tuple[list[AreaColumn], list[YearRow]]:
    return _year_table(list(data["year_area_counts"]), list(data["year_counts"]))


def _component_rows(data: Mapping[str, Any]) -> list[RankedRow]:
    return [
        RankedRow(
            row["component_slug"],
            row["component_name"],
            row["stories"],
            row["area_slug"],
            row["area_name"],
        )
        for row in data["component_counts"]
    ]


def _platform_rows(data: Mapping[str, Any]) -> tuple[list[RankedRow], int]:
    """The platforms with stories, and how many stories name no platform."""
    rows = list(data["platform_counts"])
    platforms = [
        RankedRow(row["platform_slug"], row["platform_name"], row["stories"])
        for row in rows
        if row["platform_slug"] is not None
    ]
    return platforms, sum(row["stories"] for row in rows if row["platform_slug"] is None)


def _year_chart(areas: Sequence[AreaColumn], year_rows: Sequence[YearRow]) -> SafeString:
    return stacked_bar_chart(
        chart_id="chart-years",
        title="Stories per year, stacked by component area",
        description=(
            "Each bar is a year, labelled with the stories published that year; its "
            "layers count the stories touching each component area, so a story that "
            "touches several areas counts once in each."
        ),
        bar_labels=[row.stories for row in year_rows],
        categories=[str(row.year) for row in year_rows],
        series=[
            Series(area.name, tuple(row.area_counts[i] for row in year_rows))
            for i, area in enumerate(areas)
        ],
        x_label="Year published",
        y_label="Stories per area",
    )


def _component_chart(areas: Sequence[AreaColumn], components: Sequence[RankedRow]) -> SafeString:
    area_index = {area.slug: area.series_index for area in areas}
    return horizontal_bar_chart(
        chart_id="chart-components",
        title=f"Top {TOP_COMPONENTS} components by number of stories",
        description="One bar per component, most stories first, coloured by area.",
        bars=[Bar(row.name, row.stories, area_index.get(row.area_slug, 0)) for row in components],
        x_label="Stories",
    )


def _platform_chart(platforms: Sequence[RankedRow]) -> SafeString:
    return horizontal_bar_chart(
        chart_id="chart-platforms",
        title="Stories per platform",
        description="One bar per platform, most stories first.",
        bars=[Bar(row.name, row.stories) for row in platforms],
        x_label="Stories",
    )
