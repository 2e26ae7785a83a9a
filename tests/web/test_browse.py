"""The story list: filters, facets, search, sort, pagination, and what never leaks."""

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Source, Story
from apps.search.indexing import index_stories
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    OrganizationFactory,
    PlatformFactory,
    SourceFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def catalogue() -> dict[str, Story]:
    network = ComponentAreaFactory(slug="networking", name="Networking")
    control = ComponentAreaFactory(slug="control-plane", name="Control plane")
    dns = ComponentFactory(slug="dns", name="Cluster DNS", area=network)
    conntrack = ComponentFactory(slug="conntrack", name="conntrack", area=network)
    etcd = ComponentFactory(slug="etcd", name="etcd", area=control)
    aws = PlatformFactory(slug="aws", name="AWS")
    import datetime

    def make(title: str, year: int, components: list, **kwargs) -> Story:  # type: ignore[no-untyped-def]
        story = StoryFactory(
            title=title,
            published_on=datetime.date(year, 1, 1),
            date_precision="year",
            components=components,
            **kwargs,
        )
        return story

    stories = {
        "dns": make("DNS lookups timed out", 2018, [dns, conntrack], summary="conntrack race."),
        "etcd": make("etcd ran out of space", 2020, [etcd], summary="The quota alarm fired."),
        "both": make("DNS and etcd failed together", 2022, [dns, etcd], summary="Bad day."),
        "draft": make(
            "Secret draft about DNS",
            2021,
            [dns],
            status=Story.Status.DRAFT,
            organization=OrganizationFactory(name="Hidden Org", slug="hidden-org"),
        ),
        "retracted": make("Retracted etcd story", 2019, [etcd], status=Story.Status.RETRACTED),
    }
    stories["dns"].platforms.add(aws)
    stories["draft"].platforms.add(aws)
    Source.objects.filter(story=stories["etcd"]).update(kind="talk")
    index_stories()
    return stories


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [story.title for story in response.context["stories"]]


def facet(response, name: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    (found,) = [f for f in response.context["facets"] if f.name == name]
    return {v.value: v.count for v in found.values}


def test_newest_first_by_default(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/")
    assert titles(response) == [
        "DNS and etcd failed together",
        "etcd ran out of space",
        "DNS lookups timed out",
    ]
    assert titles(client.get("/stories/?sort=oldest"))[0] == "DNS lookups timed out"


def test_components_narrow_and_platforms_widen(client: Client, catalogue: dict[str, Story]) -> None:
    assert titles(client.get("/stories/?component=dns&component=etcd")) == [
        "DNS and etcd failed together"
    ]
    assert len(titles(client.get("/stories/?area=networking&area=control-plane"))) == 3
    assert titles(client.get("/stories/?platform=aws")) == ["DNS lookups timed out"]
    assert titles(client.get("/stories/?kind=talk")) == ["etcd ran out of space"]
    assert titles(client.get("/stories/?year_from=2019&year_to=2021")) == ["etcd ran out of space"]


def test_facet_counts_follow_the_filter_and_exclude_unpublished(
    client: Client, catalogue: dict[str, Story]
) -> None:
    everything = client.get("/stories/")
    assert facet(everything, "component") == {"dns": 2, "etcd": 2, "conntrack": 1}
    assert facet(everything, "area") == {"networking": 2, "control-plane": 2}
    assert facet(everything, "platform") == {"aws": 1}
    assert facet(everything, "year") == {"2022": 1, "2020": 1, "2018": 1}
    assert "hidden-org" not in facet(everything, "organization")
    narrowed = client.get("/stories/?component=dns")
    assert facet(narrowed, "component") == {"dns": 2, "etcd": 1, "conntrack": 1}


def test_search_ranks_and_highlights(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/?q=etcd")
    assert response.context["browse"].sort == "relevance"
    assert set(titles(response)) == {"etcd ran out of space", "DNS and etcd failed together"}
    assert "<mark>" in response.content.decode()
    assert titles(client.get("/stories/?q=secret")) == []
    assert "No stories match" in client.get("/stories/?q=secret").content.decode()


def test_search_combines_with_filters(client: Client, catalogue: dict[str, Story]) -> None:
    assert titles(client.get("/stories/?q=dns&component=etcd")) == ["DNS and etcd failed together"]


@pytest.mark.parametrize(
    "params",
    [
        "?q=" + "x" * 10_000,
        "?q=%00%01",
        "?q=:::",
        '?q="',
        "?q=-",
        "?component=nope",
        "?platform=%00",
        "?year_from=abc",
        "?year_from=1900",
        "?year_to=99999999999999999999",
        "?sort=sideways",
        "?kind=tweet",
        "?q=a&q=b&component=dns&component=dns",
    ],
)
def test_bad_parameters_give_a_friendly_page(
    client: Client, catalogue: dict[str, Story], params: str
) -> None:
    response = client.get("/stories/" + params)
    assert response.status_code == 200
    assert "Secret draft" not in response.content.decode()


def test_bad_parameters_are_explained(client: Client, catalogue: dict[str, Story]) -> None:
    messages = client.get("/stories/?component=nope&sort=sideways").context["browse"].messages
    assert any("Component 'nope' was ignored" in m for m in messages)
    assert any("Unknown sort 'sideways'" in m for m in messages)
    long = client.get("/stories/?q=" + "word " * 500).context["browse"].messages
    assert any("shortened" in m for m in long)


def test_chips_remove_one_value(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/?component=dns&component=etcd&q=failed")
    chips = {(label, value): url for label, value, url in response.context["chips"]}
    assert chips[("Component", "Cluster DNS")] == "?component=etcd&q=failed"
    assert chips[("Search", "failed")] == "?component=dns&component=etcd"


def test_pagination(client: Client, catalogue: dict[str, Story]) -> None:
    for number in range(25):
        StoryFactory(title=f"Extra {number}")
    first = client.get("/stories/")
    assert first.context["paginator"].count == 28
    assert len(titles(first)) == 20
    assert len(titles(client.get("/stories/?page=2"))) == 8


def test_feeds(client: Client, catalogue: dict[str, Story]) -> None:
    for url in ["/feeds/stories.atom", "/feeds/components/dns.atom", "/feeds/search.atom?q=dns"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(response.content)
        entries = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
        assert entries, url
        assert not any("Secret" in t or "Retracted" in t for t in entries), url
    search = ET.fromstring(client.get("/feeds/search.atom?component=etcd&q=space").content)
    assert [e.find(f"{ATOM}title").text for e in search.findall(f"{ATOM}entry")] == [
        "etcd ran out of space"
    ]
    assert client.get("/feeds/components/nope.atom").status_code == 404


def test_sitemap_and_robots(client: Client, catalogue: dict[str, Story], settings: Any) -> None:
    """Every location is on SITE_URL, like canonical links, whatever Host the request had."""
    settings.SITE_URL = "https://stories.example"
    index = client.get("/sitemap.xml").content.decode()
    assert "<sitemapindex" in index
    assert "testserver" not in index
    sections = re.findall(r"<loc>https://stories\.example(/sitemap-[a-z]+\.xml)</loc>", index)
    assert sorted(sections) == [
        f"/sitemap-{name}.xml"
        for name in ("components", "mitigations", "organizations", "pages", "stories")
    ]
    sitemap = "".join(client.get(section).content.decode() for section in sections)
    assert catalogue["dns"].get_absolute_url() in sitemap
    assert catalogue["draft"].slug not in sitemap
    assert catalogue["retracted"].slug not in sitemap
    assert "hidden-org" not in sitemap
    assert "testserver" not in sitemap
    assert f"<loc>https://stories.example{catalogue['dns'].get_absolute_url()}</loc>" in sitemap
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://stories.example/sitemap.xml" in robots
    assert "Disallow: /track/" in robots


def test_nothing_unpublished_on_any_surface(client: Client, catalogue: dict[str, Story]) -> None:
    surfaces = [
        "/",
        "/stories/",
        "/stories/?q=secret",
        "/stories/?q=retracted",
        "/stories/?organization=hidden-org",
        "/components/",
        "/components/dns/",
        "/organizations/",
        "/trends/",
        "/feeds/stories.atom",
        "/feeds/search.atom?q=secret",
        "/sitemap.xml",
    ]
    for url in surfaces:
        html = client.get(url).content.decode()
        assert "Secret draft" not in html, url
        assert "Retracted etcd story" not in html, url
        assert "Hidden Org" not in html, url
    for story in (catalogue["draft"], catalogue["retracted"]):
        assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get("/organizations/hidden-org/").status_code == 404
    home = client.get("/")
    assert home.context["story_count"] == 3


def test_story_page_lists_related_stories(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get(catalogue["dns"].get_absolute_url())
    related = [(s.title, s.shared) for s in response.context["related"]]
    assert related == [("DNS and etcd failed together", 1)]


def test_security_headers(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    html = response.content.decode()
    assert "<script>" not in html
    assert " style=" not in html


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(count: int) -> None:
    dns = ComponentFactory(slug="dns")
    for number in range(count):
        story = StoryFactory(
            title=f"More DNS trouble {number}",
            summary="dns dns",
            components=[dns, ComponentFactory()],
        )
        story.platforms.add(PlatformFactory())
        SourceFactory(story=story)
    index_stories()


@pytest.mark.parametrize(
    "url",
    [
        "/stories/?q=dns",
        "/stories/?q=dns&component=dns&sort=newest",
        "/stories/?platform=aws&year_from=2015",
        "/feeds/search.atom?q=dns",
        "/feeds/stories.atom",
        "/organizations/",
        "/sitemap.xml",
    ],
)
def test_query_budget(client: Client, catalogue: dict[str, Story], url: str) -> None:
    _grow(3)
    few = _count(client, url)
    _grow(20)
    assert _count(client, url) == few


def test_story_page_query_budget(client: Client, catalogue: dict[str, Story]) -> None:
    url = catalogue["dns"].get_absolute_url()
    few = _count(client, url)
    _grow(20)
    assert _count(client, url) == few
