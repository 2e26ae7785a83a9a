"""Every page runs a constant number of SQL queries, whatever the catalogue's size, the
page number or the page size; counts come from stored aggregates that follow every write."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from tests.factories import (
    ComponentFactory,
    MitigationFactory,
    OrganizationFactory,
    PlatformFactory,
    SourceFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    client.get(url)  # computes what a write made stale
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _grow(count: int) -> None:
    dns = ComponentFactory._meta.model.objects.get(slug="dns")
    aws = PlatformFactory._meta.model.objects.get(slug="aws")
    org = OrganizationFactory._meta.model.objects.get(slug="busy-org")
    mitigation = MitigationFactory._meta.model.objects.get(slug="cache")
    for number in range(count):
        story = StoryFactory(
            published_on=datetime.date(2015 + number % 8, 1, 1),
            components=[dns, ComponentFactory()],
            organization=org,
        )
        story.platforms.add(aws)
        story.mitigation_links.create(mitigation=mitigation)
        SourceFactory(story=story)


@pytest.fixture
def small() -> Story:
    ComponentFactory(slug="dns")
    PlatformFactory(slug="aws")
    OrganizationFactory(slug="busy-org")
    MitigationFactory(slug="cache")
    _grow(3)
    return Story.objects.public().order_by("slug")[0]


PAGES = [
    "/",
    "/stories/",
    "/stories/?page=2",
    "/stories/?page=last",
    "/stories/?component=dns",
    "/stories/?component=dns&page=2",
    "/stories/?component=dns&platform=aws",
    "/stories/?sort=added",
    "/components/",
    "/components/dns/",
    "/components/dns/?page=2",
    "/mitigations/",
    "/mitigations/cache/",
    "/organizations/",
    "/organizations/busy-org/",
    "/organizations/busy-org/?page=2",
    "/trends/",
    "/feeds/stories.atom",
    "/feeds/components/dns.atom",
    "/sitemap.xml",
    "/sitemap-stories.xml",
    "/api/v1/stories/",
    "/api/v1/stories/?component=dns",
]


@pytest.mark.parametrize("url", PAGES)
def test_queries_do_not_grow_with_the_catalogue(client: Client, small: Story, url: str) -> None:
    _grow(42)  # a second page exists from here on (a page past the end is a 404)
    few = _queries(client, url)
    _grow(60)
    assert _queries(client, url) == few


def test_story_pages_cost_the_same_at_any_size(client: Client, small: Story) -> None:
    urls = [small.get_absolute_url(), f"/api/v1/stories/{small.slug}/"]
    few = [_queries(client, url) for url in urls]
    _grow(60)
    assert [_queries(client, url) for url in urls] == few


def test_every_page_of_the_list_costs_the_same(client: Client, small: Story) -> None:
    _grow(80)
    counts = {_queries(client, f"/stories/?page={page}") for page in (1, 2, 3, 4, 5)}
    assert len(counts) == 1
    api = {_queries(client, f"/api/v1/stories/?page={page}") for page in (1, 2, 3, 4, 5)}
    assert len(api) == 1
    sizes = {_queries(client, f"/api/v1/stories/?page_size={size}") for size in (1, 20, 100)}
    assert len(sizes) == 1


def test_paging_reaches_every_story_once(client: Client, small: Story) -> None:
    _grow(47)
    for url in ("/stories/?page={}", "/components/dns/?page={}", "/stories/?component=dns&page={}"):
        seen = []
        for page in range(1, 4):
            seen += [story.slug for story in client.get(url.format(page)).context["stories"]]
        assert len(seen) == len(set(seen)) == 50, url
    ordered = list(
        Story.objects.public().order_by("-published_on", "slug").values_list("slug", flat=True)
    )
    pages = [client.get(f"/stories/?page={page}").context["stories"] for page in (1, 2, 3)]
    assert [story.slug for page in pages for story in page] == ordered


def test_organization_list_pages_hold_each_public_organization_once(
    client: Client, small: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.web.views.browse import OrganizationListView

    monkeypatch.setattr(OrganizationListView, "paginate_by", 2)
    for name, stories in (("Acme", 2), ("Zeta", 1), ("Mid", 3)):
        org = OrganizationFactory(name=name, slug=name.lower())
        for _ in range(stories):
            StoryFactory(organization=org)
    hidden = OrganizationFactory(name="Drafty", slug="drafty")
    StoryFactory(organization=hidden, status=Story.Status.DRAFT)
    pages = [client.get(f"/organizations/?page={page}").context for page in (1, 2)]
    listed = [o for page in pages for o in page["organizations"]]
    assert [o.name for o in listed] == sorted(o.name for o in listed)
    counts = {o.slug: o.story_count for o in listed}
    assert counts == {"acme": 2, "busy-org": 3, "mid": 3, "zeta": 1}
    assert len(listed) == 4
    assert pages[0]["paginator"].count == 4
    assert len({_queries(client, f"/organizations/?page={page}") for page in (1, 2)}) == 1
    assert client.get("/organizations/mid/").context["paginator"].count == 3
    assert client.get("/organizations/drafty/").status_code == 404


def test_api_pages_reach_every_story_once_at_the_same_cost(client: Client, small: Story) -> None:
    _grow(47)
    for url in ("/api/v1/stories/?page_size=20&page={}", "/api/v1/stories/?component=dns&page={}"):
        seen = []
        for page in range(1, 4):
            body = client.get(url.format(page)).json()
            assert body["count"] == 50, url
            seen += [story["slug"] for story in body["results"]]
        assert len(seen) == len(set(seen)) == 50, url
        assert len({_queries(client, url.format(page)) for page in (1, 2, 3)}) == 1, url
    ordered = list(
        Story.objects.public().order_by("-published_on", "slug").values_list("slug", flat=True)
    )
    pages = [client.get(f"/api/v1/stories/?page={page}").json()["results"] for page in (1, 2, 3)]
    assert [story["slug"] for page in pages for story in page] == ordered
    assert client.get("/api/v1/stories/?component=dns&page=4").json()["results"] == []
    assert client.get("/api/v1/stories/?component=nope").status_code == 400
