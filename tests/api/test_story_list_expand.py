"""`?expand=summary,sources,upstream` on the story list: mirroring in pages of 100."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog.models import Source, Story, StoryStatus, StoryUpstreamIssue, UpstreamIssue
from tests.factories import ComponentFactory, SourceFactory, StoryFactory

pytestmark = pytest.mark.django_db

COMPACT = {
    "slug", "url", "title", "organization", "date", "components", "platforms", "impact",
    "updated_at",
}  # fmt: skip
LIST = "/api/v1/stories/"


def add_stories(count: int, start: int = 0) -> list[Story]:
    etcd = ComponentFactory(slug="etcd", name="etcd")
    stories = []
    for n in range(start, start + count):
        story = StoryFactory(
            slug=f"2020-mirror-corp-story-{n:03}",
            published_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
            summary=f"Story **{n}** in Markdown.",
            components=[etcd],
        )
        SourceFactory(story=story, url=f"https://example.org/mirror-{n}", title=f"Post {n}")
        SourceFactory(story=story, url=f"https://example.org/mirror-{n}-talk", kind="talk")
        issue = UpstreamIssue.objects.create(
            url=f"https://github.com/example/repo/issues/{n + 1}", tracker="github",
            owner="example", repo="repo", number=n + 1, kind="issue", state="closed",
        )  # fmt: skip
        StoryUpstreamIssue.objects.create(story=story, upstream_issue=issue, note=f"Note {n}")
        stories.append(story)
    return stories


def test_without_expand_the_list_is_the_compact_form(client: APIClient) -> None:
    add_stories(2)
    results = client.get(LIST).json()["results"]
    assert [set(item) for item in results] == [COMPACT, COMPACT]


def test_expand_adds_what_the_detail_shows(client: APIClient) -> None:
    add_stories(3)
    listed = client.get(LIST, {"expand": "summary,sources,upstream"}).json()["results"]
    assert {frozenset(item) for item in listed} == {
        frozenset(COMPACT | {"summary", "sources", "upstream"})
    }
    for item in listed:
        detail = client.get(f"{LIST}{item['slug']}/").json()
        for key in ("summary", "sources", "upstream"):
            assert item[key] == detail[key], key
    assert listed[0]["summary"] == "Story **2** in Markdown."
    assert listed[0]["upstream"][0]["note"] == "Note 2"

    one = client.get(LIST, {"expand": ["sources", "summary"]}).json()["results"][0]
    assert set(one) == COMPACT | {"summary", "sources"}


def test_an_unknown_expansion_is_a_400_naming_it(client: APIClient) -> None:
    response = client.get(LIST, {"expand": "summary,votes"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert body["fields"]["expand"] == ["Unknown: votes. Allowed: summary, sources, upstream."]


def test_expanded_pages_cost_the_same_queries_at_any_size(client: APIClient) -> None:
    add_stories(3)
    query = {"expand": "summary,sources,upstream", "page_size": 100}
    client.get(LIST, query)  # stored counts computed once
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(LIST, query).json()["results"]) == 3
    add_stories(40, start=3)
    client.get(LIST, query)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(LIST, query).json()["results"]) == 43
    assert len(large.captured_queries) == len(small.captured_queries)
    with CaptureQueriesContext(connection) as compact:
        client.get(LIST, {"page_size": 100})
    # Sources, and upstream links with their issues: one query each.
    assert len(large.captured_queries) == len(compact.captured_queries) + 2


def test_a_mirror_reads_every_published_story_once_in_pages_of_100(client: APIClient) -> None:
    add_stories(105)
    hidden = StoryFactory(slug="2020-hidden-corp-draft", status=StoryStatus.DRAFT)
    SourceFactory(story=hidden, url="https://example.org/hidden-draft")
    mirrored: list[dict] = []  # type: ignore[type-arg]
    url: str | None = f"{LIST}?expand=summary,sources,upstream&page_size=100"
    while url:
        page = client.get(url).json()
        mirrored += page["results"]
        url = page["next"]
    assert len(mirrored) == page["count"] == Story.objects.public().count() == 105
    assert len({item["slug"] for item in mirrored}) == 105
    published_sources = Source.objects.filter(story__status=StoryStatus.PUBLISHED)
    assert sum(len(item["sources"]) for item in mirrored) == published_sources.count()
    assert all(item["upstream"][0]["state"] == "closed" for item in mirrored)
    assert "hidden" not in str(mirrored)


def test_the_schema_documents_expand(client: APIClient) -> None:
    schema = client.get("/api/v1/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"][LIST]["get"]["parameters"]}
    assert parameters["expand"]["schema"]["items"]["enum"] == ["summary", "sources", "upstream"]
    listed = schema["paths"][LIST]["get"]["responses"]["200"]["content"]["application/json"]
    page = listed["schema"]["$ref"].rsplit("/", 1)[1]
    item = schema["components"]["schemas"][page]["properties"]["results"]["items"]["$ref"]
    story = schema["components"]["schemas"][item.rsplit("/", 1)[1]]
    assert {"summary", "sources", "upstream"} <= set(story["properties"])
    assert not {"summary", "sources", "upstream"} & set(story["required"])


@pytest.mark.parametrize("value", ["", "summary,", ",", "summary,,sources"])
def test_an_empty_expansion_is_a_400(client: APIClient, value: str) -> None:
    """The schema allows only the listed names, so `expand=` is refused, not ignored."""
    response = client.get("/api/v1/stories/", {"expand": value})
    assert response.status_code == 400
    assert response.json()["fields"]["expand"][0].startswith("An empty name.")
