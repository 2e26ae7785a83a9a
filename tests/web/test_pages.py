from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.models import Story, StoryMitigation, StoryUpstreamIssue, UpstreamIssue
from apps.search.indexing import index_stories
from tests.factories import (
    ComponentFactory,
    MitigationFactory,
    OrganizationFactory,
    PlatformFactory,
    SourceFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> Story:
    story = StoryFactory(title="CoreDNS melted down", components=[ComponentFactory(slug="coredns")])
    story.platforms.add(PlatformFactory(slug="aws"))
    issue = UpstreamIssue.objects.create(
        url="https://github.com/coredns/coredns/issues/9",
        tracker="github",
        owner="coredns",
        repo="coredns",
        number=9,
        kind="issue",
        state="closed",
    )
    StoryUpstreamIssue.objects.create(story=story, upstream_issue=issue, note="The fix.")
    StoryMitigation.objects.create(story=story, mitigation=MitigationFactory(slug="cache"))
    index_stories()
    return story


@pytest.fixture
def hidden() -> list[Story]:
    org = OrganizationFactory(name="Secret Org", slug="secret-org")
    return [
        StoryFactory(title=f"Hidden {status} story", status=status, organization=org)
        for status in (Story.Status.DRAFT, Story.Status.RETRACTED)
    ]


def test_pages_render(client: Client, published: Story) -> None:
    for url in [
        reverse("web:home"),
        reverse("web:story-list"),
        reverse("web:story-list") + "?component=coredns&platform=aws",
        published.get_absolute_url(),
        reverse("web:component-list"),
        reverse("web:component-detail", kwargs={"slug": "coredns"}),
        reverse("web:mitigation-list"),
        reverse("web:mitigation-detail", kwargs={"slug": "cache"}),
        published.organization.get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert (
            b"CoreDNS melted down" in response.content
            or url.endswith("/components/")
            or url.endswith("/mitigations/")
        ), url


def test_story_page_shows_its_links(client: Client, published: Story) -> None:
    html = client.get(published.get_absolute_url()).content.decode()
    assert "coredns/coredns#9" in html
    assert "Closed" in html
    assert "The fix." in html
    assert "status not checked yet" in html
    assert reverse("web:mitigation-detail", kwargs={"slug": "cache"}) in html


def test_unpublished_stories_never_appear(
    client: Client, published: Story, hidden: list[Story]
) -> None:
    for story in hidden:
        assert (
            client.get(reverse("web:story-detail", kwargs={"slug": story.slug})).status_code == 404
        )
    assert (
        client.get(reverse("web:organization-detail", kwargs={"slug": "secret-org"})).status_code
        == 404
    )
    pages = [
        reverse("web:home"),
        reverse("web:story-list"),
        reverse("web:story-list") + "?q=Hidden",
        reverse("web:component-list"),
        reverse("web:mitigation-list"),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "Hidden draft story" not in html, url
        assert "Hidden retracted story" not in html, url
        assert "Secret Org" not in html, url
    home = client.get(reverse("web:home"))
    assert home.context["story_count"] == 1
    assert home.context["organization_count"] == 1
    listing = client.get(reverse("web:story-list"))
    assert listing.context["paginator"].count == 1


def test_summary_markdown_is_sanitized_on_the_page(client: Client) -> None:
    story = StoryFactory(summary="<script>alert(1)</script> [x](javascript:alert(1))")
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_filter_chips_link_to_the_page_without_that_filter(
    client: Client, published: Story
) -> None:
    response = client.get(reverse("web:story-list"), {"component": "coredns", "platform": "aws"})
    chips = {name: url for name, _, url in response.context["chips"]}
    assert chips["Component"] == "?platform=aws"
    assert chips["Platform"] == "?component=coredns"


def test_unknown_pages_get_the_friendly_404(client: Client) -> None:
    response = client.get("/stories/does-not-exist/")
    assert response.status_code == 404
    assert b"This page does not exist" in response.content


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _add_stories(count: int) -> None:
    component = ComponentFactory(slug="coredns")
    platform = PlatformFactory(slug="aws")
    for _ in range(count):
        story = StoryFactory(components=[component, ComponentFactory()], sources=False)
        story.platforms.add(platform)
        SourceFactory(story=story)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/stories/",
        "/stories/?component=coredns",
        "/components/",
        "/components/coredns/",
        "/mitigations/",
    ],
)
def test_query_count_does_not_grow_with_the_catalogue(client: Client, url: str) -> None:
    _add_stories(3)
    few = _queries(client, url)
    _add_stories(15)
    assert _queries(client, url) == few


def test_story_page_query_count_is_constant(client: Client, published: Story) -> None:
    few = _queries(client, published.get_absolute_url())
    for number in range(10, 20):
        issue = UpstreamIssue.objects.create(
            url=f"https://github.com/k/k/issues/{number}",
            tracker="github",
            owner="k",
            repo="k",
            number=number,
            kind="issue",
        )
        StoryUpstreamIssue.objects.create(story=published, upstream_issue=issue, position=number)
        SourceFactory(story=published)
        published.components.add(ComponentFactory())
    assert _queries(client, published.get_absolute_url()) == few


def test_a_request_the_site_cannot_read_gets_a_page_that_says_why(
    client: Client, settings: Any
) -> None:
    # Django's own 400 said only "Bad Request (400)" (a 10 MB form, too many fields).
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/submit/", {"summary": "a" * 2000})
    assert response.status_code == 400
    assert b"could not read what your browser sent" in response.content
    assert client.get("/", HTTP_HOST="evil.example.org").status_code == 400
