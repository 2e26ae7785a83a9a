import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.models import Story
from apps.web import charts
from apps.web.charts import Bar, Series
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    PlatformFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db

SVG_NS = "{http://www.w3.org/2000/svg}"


class _TableParser(HTMLParser):
    """Collects every <table> as its caption and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._caption: list[str] | None = None
        self._cell: list[str] | None = None
        self._current_caption = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows, self._current_caption = [], ""
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("th", "td") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._current_caption = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None and self._rows is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[self._current_caption] = self._rows
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = _TableParser()
    parser.feed(html)
    return parser.tables


def svgs_of(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)


def assert_accessible_svg(svg: str) -> ET.Element:
    """Well-formed, labelled by its own title and desc, and free of inline style or script."""
    # Inside tags only: escaped text may well read "onerror=" harmlessly.
    assert not re.search(r"<[^>]*\sstyle\s*=", svg, flags=re.IGNORECASE)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", svg, flags=re.IGNORECASE)
    assert "<script" not in svg.lower()
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    ids = {element.get("id"): element.tag for element in root.iter() if element.get("id")}
    labelled_by = root.get("aria-labelledby", "").split()
    assert [ids[ref] for ref in labelled_by] == [f"{SVG_NS}title", f"{SVG_NS}desc"]
    assert root.find(f"{SVG_NS}title").text
    assert root.find(f"{SVG_NS}desc").text
    for element in root.iter():
        assert element.tag != f"{SVG_NS}script"
        for name in element.attrib:
            assert name != "style"
            assert not name.lower().startswith("on"), name
    return root


@pytest.fixture
def catalogue() -> dict[str, object]:
    """Three published stories, plus a draft and a retracted one that must never count."""
    control_plane = ComponentAreaFactory(slug="control-plane", name="Control plane", position=0)
    networking = ComponentAreaFactory(slug="networking", name="Networking", position=1)
    dns = ComponentFactory(slug="dns", name="DNS", area=networking)
    cni = ComponentFactory(slug="cni", name="CNI", area=networking)
    etcd = ComponentFactory(slug="etcd", name="etcd", area=control_plane)
    aws = PlatformFactory(slug="aws", name="AWS", position=0)
    gcp = PlatformFactory(slug="gcp", name="GCP", position=1)

    StoryFactory(published_on=date(2019, 3, 1), components=[dns, etcd]).platforms.add(aws)
    StoryFactory(published_on=date(2019, 8, 1), components=[dns, cni]).platforms.add(aws, gcp)
    StoryFactory(published_on=date(2021, 1, 1), components=[etcd])

    hidden_area = ComponentAreaFactory(slug="hidden-area", name="Hidden area", position=2)
    secret = ComponentFactory(slug="secret", name="Secret component", area=hidden_area)
    hidden_platform = PlatformFactory(slug="hidden", name="Hidden platform")
    StoryFactory(
        published_on=date(1999, 1, 1), status=Story.Status.DRAFT, components=[secret, dns]
    ).platforms.add(hidden_platform, aws)
    StoryFactory(
        published_on=date(2030, 1, 1), status=Story.Status.RETRACTED, components=[dns, secret]
    ).platforms.add(hidden_platform, gcp)
    return {"dns": dns}


def get_trends(client: Client) -> str:
    response = client.get(reverse("web:trends"))
    assert response.status_code == 200
    return response.content.decode()


def test_trends_renders_on_an_empty_catalogue(client: Client) -> None:
    html = get_trends(client)
    assert html.count(charts.NO_DATA_MESSAGE) >= 3
    for svg in svgs_of(html):
        assert_accessible_svg(svg)


def test_nav_links_to_trends(client: Client) -> None:
    response = client.get(reverse("web:home"))
    assert f'href="{reverse("web:trends")}"' in response.content.decode()


def test_tables_match_the_published_catalogue(client: Client, catalogue: dict) -> None:
    tables = tables_of(get_trends(client))

    assert tables["Stories per year and component area"] == [
        ["Year", "Control plane", "Networking", "Stories"],
        ["2019", "1", "2", "2"],
        ["2020", "0", "0", "0"],
        ["2021", "1", "0", "1"],
        ["All years", "2", "2", "3"],
    ]
    assert tables["Top 3 components by number of stories"] == [
        ["Component", "Area", "Stories"],
        ["DNS", "Networking", "2"],
        ["etcd", "Control plane", "2"],
        ["CNI", "Networking", "1"],
    ]
    assert tables["Stories per platform"] == [
        ["Platform", "Stories"],
        ["AWS", "2"],
        ["GCP", "1"],
    ]


def test_charts_show_the_same_numbers(client: Client, catalogue: dict) -> None:
    html = get_trends(client)
    year_svg, component_svg, platform_svg = svgs_of(html)

    assert "<title>2019, Networking: 2</title>" in year_svg
    assert "<title>2019, Control plane: 1</title>" in year_svg
    assert "<title>2021, Control plane: 1</title>" in year_svg
    assert "<title>DNS: 2</title>" in component_svg
    assert "<title>etcd: 2</title>" in component_svg
    assert "<title>CNI: 1</title>" in component_svg
    assert "<title>AWS: 2</title>" in platform_svg
    assert "<title>GCP: 1</title>" in platform_svg
    assert "1 story names none" in html
    assert 'class="chart-legend"' in html


def test_draft_and_retracted_stories_are_not_counted(client: Client, catalogue: dict) -> None:
    html = get_trends(client)
    main = html[html.index('<main id="main"') : html.index("</main>")]

    for hidden in ("Secret component", "Hidden area", "Hidden platform", "1999", "2030"):
        assert hidden not in main, hidden
    # The draft and the retracted story both name DNS, AWS or GCP: none of those move.
    assert "<title>DNS: 3</title>" not in main
    assert "<title>DNS: 4</title>" not in main
    assert "<title>AWS: 3</title>" not in main
    assert "<title>GCP: 2</title>" not in main
    assert "3 published stories" in main


def test_svg_is_accessible_and_inline_style_free(client: Client, catalogue: dict) -> None:
    svgs = svgs_of(get_trends(client))
    assert len(svgs) == 3
    for svg in svgs:
        assert "style=" not in svg
        assert_accessible_svg(svg)


def test_text_from_the_catalogue_is_escaped(client: Client) -> None:
    area = ComponentAreaFactory(slug="tricky", name='Area "one" & <i>two</i>')
    component = ComponentFactory(slug="bold", name="<b>x</b>", area=area)
    platform = PlatformFactory(slug="evil", name="<script>alert(1)</script>")
    StoryFactory(components=[component]).platforms.add(platform)

    html = get_trends(client)

    assert "<b>x</b>" not in html
    assert "<script>alert(1)</script>" not in html
    assert "<i>two</i>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for svg in svgs_of(html):
        assert_accessible_svg(svg)


def test_query_count_does_not_grow_with_the_catalogue(client: Client) -> None:
    def build(count: int, offset: int) -> None:
        for n in range(offset, offset + count):
            area = ComponentAreaFactory(slug=f"area-q{n % 4}", position=n % 4)
            story = StoryFactory(
                published_on=date(2010 + n % 7, 1, 1),
                components=[ComponentFactory(slug=f"q{n}", area=area), ComponentFactory()],
            )
            story.platforms.add(PlatformFactory(slug=f"p{n % 3}"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            get_trends(client)
        return len(captured)

    build(3, 0)
    computed = queries()  # refreshes every stored aggregate (tasks run eagerly here)
    stored = queries()  # reads them back
    build(12, 3)
    assert Story.objects.public().count() == 15
    assert queries() == computed
    assert queries() == stored == 1
    # The refresh also moves the stored counts by the stories that changed (about a dozen
    # statements, apps/catalog/counts.py).
    assert computed <= 40


def test_stored_counts_follow_every_write(client: Client) -> None:
    story = StoryFactory(published_on=date(2019, 5, 1))
    # Queryset updates fire no signal: the database's triggers see them.
    assert "?year=2019" in get_trends(client)
    Story.objects.filter(pk=story.pk).update(status=Story.Status.RETRACTED)
    assert "?year=2019" not in get_trends(client)
    Story.objects.filter(pk=story.pk).update(status=Story.Status.PUBLISHED)
    Story.objects.filter(pk=story.pk).update(published_on=date(2021, 5, 1))
    html = get_trends(client)
    assert "?year=2021" in html
    assert "?year=2019" not in html


# charts.py, directly


def test_stacked_bar_chart_draws_one_segment_per_nonzero_value() -> None:
    svg = charts.stacked_bar_chart(
        chart_id="years",
        title="Per year",
        description="Test chart.",
        categories=["2019", "2020", "2021"],
        series=[Series("A", (1, 0, 3)), Series("B", (2, 0, 0))],
        x_label="Year",
        y_label="Stories",
    )
    root = assert_accessible_svg(svg)
    rects = root.findall(f"{SVG_NS}rect")
    assert [rect.get("class") for rect in rects] == [
        "chart-segment chart-series-0",
        "chart-segment chart-series-1",
        "chart-segment chart-series-0",
    ]
    # 2019 stacks 1 + 2, as tall as 2021's 3.
    heights = [float(rect.get("height")) for rect in rects]
    assert heights[0] + heights[1] == pytest.approx(heights[2])
    assert "Tallest bar: 2019, 3." in svg
    assert "<title>2021, A: 3</title>" in svg
    labels = [text.text for text in root.iter(f"{SVG_NS}text")]
    assert {"2019", "2020", "2021", "Year", "Stories"} <= set(labels)


def test_horizontal_bar_chart_scales_bars_to_values() -> None:
    svg = charts.horizontal_bar_chart(
        chart_id="platforms",
        title="Per platform",
        description="Test chart.",
        bars=[Bar("AWS", 10, series=3), Bar("GCP", 5), Bar("Nothing", 0)],
        x_label="Stories",
    )
    root = assert_accessible_svg(svg)
    rects = root.findall(f"{SVG_NS}rect")
    assert [rect.get("class") for rect in rects] == ["chart-series-3", "chart-series-0"]
    widths = [float(rect.get("width")) for rect in rects]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "Nothing" not in svg
    assert "Largest: AWS, 10." in svg


def test_long_labels_are_shortened_but_kept_in_the_tooltip() -> None:
    name = "Custom resources, aggregated APIs and authentication webhooks " * 3
    svg = charts.horizontal_bar_chart(
        chart_id="long", title="t", description="d", bars=[Bar(name, 1)], x_label="Stories"
    )
    root = assert_accessible_svg(svg)
    label = root.find(f"{SVG_NS}text[@class='chart-label']").text
    assert label.endswith("…")
    assert len(label) <= 80
    assert f"<title>{name}: 1</title>" in svg


@pytest.mark.parametrize(
    "chart",
    [
        lambda: charts.stacked_bar_chart(
            chart_id="empty",
            title="Nothing",
            description="d",
            categories=[],
            series=[],
            x_label="x",
            y_label="y",
        ),
        lambda: charts.stacked_bar_chart(
            chart_id="empty",
            title="Nothing",
            description="d",
            categories=["2020"],
            series=[Series("A", (0,))],
            x_label="x",
            y_label="y",
        ),
        lambda: charts.horizontal_bar_chart(
            chart_id="empty", title="Nothing", description="d", bars=[], x_label="x"
        ),
    ],
)
def test_empty_data_gives_a_friendly_chart(chart) -> None:  # type: ignore[no-untyped-def]
    svg = chart()
    root = assert_accessible_svg(svg)
    assert root.find(f"{SVG_NS}title").text == "Nothing"
    assert root.find(f"{SVG_NS}desc").text == charts.NO_DATA_MESSAGE
    assert charts.NO_DATA_MESSAGE in [text.text for text in root.iter(f"{SVG_NS}text")]
    assert root.find(f"{SVG_NS}rect") is None


def test_chart_text_is_escaped() -> None:
    svg = charts.horizontal_bar_chart(
        chart_id="escape",
        title='<script>alert("t")</script>',
        description="<img src=x onerror=alert(1)>",
        bars=[Bar("<b>x</b> & 'y'", 2)],
        x_label="<u>Stories</u>",
    )
    assert "<b>" not in svg
    assert "<u>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &#x27;y&#x27;" in svg
    root = assert_accessible_svg(svg)
    assert root.find(f"{SVG_NS}title").text == '<script>alert("t")</script>'
    legend = charts.chart_legend(["<b>x</b>"], name='"Areas"')
    assert "<b>" not in legend
    assert 'aria-label="&quot;Areas&quot;"' in legend


def test_legend_pairs_colours_with_labels() -> None:
    legend = charts.chart_legend(["Control plane", "Networking"], name="Areas")
    assert legend.count("<li>") == 2
    assert '<span class="chart-swatch chart-series-1" aria-hidden="true"></span>Networking' in (
        legend
    )
    assert charts.chart_legend([], name="Areas") == ""


def test_palette_repeats_after_ten_colours() -> None:
    assert charts.series_class(0) == "chart-series-0"
    assert charts.series_class(9) == "chart-series-9"
    assert charts.series_class(12) == "chart-series-2"


def test_misuse_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="one value per category"):
        charts.stacked_bar_chart(
            chart_id="bad",
            title="t",
            description="d",
            categories=["2020", "2021"],
            series=[Series("A", (1,))],
            x_label="x",
            y_label="y",
        )
    with pytest.raises(ValueError, match="chart_id"):
        charts.horizontal_bar_chart(
            chart_id='x" onload="alert(1)', title="t", description="d", bars=[], x_label="x"
        )


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [(0, (1, 1)), (1, (1, 1)), (4, (4, 1)), (7, (8, 2)), (33, (40, 10)), (100, (100, 20))],
)
def test_axis_is_round(maximum: int, expected: tuple[int, int]) -> None:
    assert charts._axis(maximum) == expected


def test_year_bars_are_labelled_with_the_stories_not_the_sum_of_their_areas(
    client: Client,
) -> None:
    """One 2019 story touching three areas: the bar is three layers tall, labelled 1."""
    areas = [ComponentAreaFactory(slug=f"area-{n}") for n in range(3)]
    StoryFactory(
        published_on=date(2019, 5, 1),
        components=[ComponentFactory(area=area) for area in areas],
    )
    year_svg = svgs_of(get_trends(client))[0]
    root = ET.fromstring(year_svg)
    values = [t.text for t in root.iter(f"{SVG_NS}text") if t.get("class") == "chart-value"]
    assert values == ["1"]
    assert len(root.findall(f"{SVG_NS}rect")) == 3
    assert "Tallest bar: 2019, 1." in year_svg
