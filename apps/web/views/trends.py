"""The Trends page: what the published catalogue looks like by year, component and platform.

Every count starts at Story.objects.public(); the four aggregates are stored until the
catalogue changes, so the page reads one row however large the catalogue grows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import ExtractYear
from django.views.generic import TemplateView

from apps.catalog.aggregates import stored_aggregate
from apps.catalog.models import Story
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
        year_area_counts = data["year_area_counts"]
        year_counts = data["year_counts"]
        component_counts = data["component_counts"]
        platform_counts = data["platform_counts"]

        areas, year_rows = _year_table(list(year_area_counts), list(year_counts))
        area_index = {area.slug: area.series_index for area in areas}
        components = [
            RankedRow(
                row["component_slug"],
                row["component_name"],
                row["stories"],
                row["area_slug"],
                row["area_name"],
            )
            for row in component_counts
        ]
        platform_rows = list(platform_counts)
        platforms = [
            RankedRow(row["platform_slug"], row["platform_name"], row["stories"])
            for row in platform_rows
            if row["platform_slug"] is not None
        ]
        no_platform = sum(row["stories"] for row in platform_rows if row["platform_slug"] is None)

        context.update(
            story_count=sum(row.stories for row in year_rows),
            areas=areas,
            year_rows=year_rows,
            area_totals=[sum(row.area_counts[i] for row in year_rows) for i in range(len(areas))],
            year_chart=stacked_bar_chart(
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
            ),
            area_legend=chart_legend([area.name for area in areas], name="Component areas"),
            components=components,
            component_chart=horizontal_bar_chart(
                chart_id="chart-components",
                title=f"Top {TOP_COMPONENTS} components by number of stories",
                description="One bar per component, most stories first, coloured by area.",
                bars=[
                    Bar(row.name, row.stories, area_index.get(row.area_slug, 0))
                    for row in components
                ],
                x_label="Stories",
            ),
            platforms=platforms,
            no_platform_count=no_platform,
            platform_chart=horizontal_bar_chart(
                chart_id="chart-platforms",
                title="Stories per platform",
                description="One bar per platform, most stories first.",
                bars=[Bar(row.name, row.stories) for row in platforms],
                x_label="Stories",
            ),
        )
        return context


def trends_counts() -> dict[str, Any]:
    """The page's aggregates, stored until the catalogue changes."""
    return stored_aggregate("trends", _trends_counts)  # type: ignore[no-any-return]


def _trends_counts() -> dict[str, Any]:
    """The four aggregates the page draws, over the whole public catalogue."""
    public = Story.objects.public()

    # A story counts once per area it touches, so the areas of a year can add up
    # to more than the stories published that year.
    year_area_counts = (
        public.values(
            year=ExtractYear("published_on"),
            area_slug=F("components__area__slug"),
            area_name=F("components__area__name"),
            area_position=F("components__area__position"),
        )
        .annotate(stories=Count("pk", distinct=True))
        .order_by()
    )
    # Each story is one row here, and one row per component or platform below (the link
    # tables are unique per pair): plain counts, no DISTINCT to sort.
    year_counts = (
        public.values(year=ExtractYear("published_on"))
        .annotate(stories=Count("pk"))
        .order_by("year")
    )
    component_counts = (
        public.filter(components__isnull=False)
        .values(
            component_slug=F("components__slug"),
            component_name=F("components__name"),
            area_slug=F("components__area__slug"),
            area_name=F("components__area__name"),
        )
        .annotate(stories=Count("pk"))
        .order_by("-stories", "component_name")[:TOP_COMPONENTS]
    )
    # The left join keeps stories without a platform as one row whose platform is None.
    platform_counts = (
        public.values(
            platform_slug=F("platforms__slug"),
            platform_name=F("platforms__name"),
            platform_position=F("platforms__position"),
        )
        .annotate(stories=Count("pk"))
        .order_by("-stories", "platform_position", "platform_name")
    )
    return {
        "year_area_counts": list(year_area_counts),
        "year_counts": list(year_counts),
        "component_counts": list(component_counts),
        "platform_counts": list(platform_counts),
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
