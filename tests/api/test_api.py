"""REST API v1 as a stranger, a token user, a moderator and an admin."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog.models import Source, Story, StoryUpstreamIssue, UpstreamIssue
from apps.search.indexing import index_stories
from apps.search.query import MAX_QUERY_LENGTH
from tests.api.conftest import client_for
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    MitigationFactory,
    OrganizationFactory,
    PlatformFactory,
    StoryFactory,
)
from tests.submissions.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger() -> APIClient:
    return APIClient()


@pytest.fixture
def member() -> APIClient:
    return client_for(make_user("alice"))


@pytest.fixture
def moderator() -> APIClient:
    return client_for(make_user("bob", "moderator"))


@pytest.fixture
def admin() -> APIClient:
    return client_for(make_user("carol", "admin"))


@pytest.fixture
def catalogue() -> dict[str, Story]:
    network = ComponentAreaFactory(slug="networking", name="Networking")
    dns = ComponentFactory(slug="dns", name="Cluster DNS", area=network, aliases=["ndots"])
    etcd = ComponentFactory(slug="etcd", name="etcd")
    aws = PlatformFactory(slug="aws", name="AWS")

    def make(title: str, year: int, components: list, **kwargs) -> Story:  # type: ignore[no-untyped-def]
        return StoryFactory(
            title=title,
            published_on=datetime.date(year, 3, 1),
            components=components,
            **kwargs,
        )

    stories = {
        "dns": make("DNS lookups timed out", 2018, [dns], summary="conntrack race, throttled"),
        "etcd": make("etcd ran out of space", 2020, [etcd], summary="quota alarm"),
        "both": make("DNS and etcd together", 2022, [dns, etcd], summary="bad day"),
        "draft": make(
            "Secret draft",
            2021,
            [dns],
            status=Story.Status.DRAFT,
            organization=OrganizationFactory(name="Hidden Org", slug="hidden-org"),
        ),
        "retracted": make("Retracted story", 2019, [etcd], status=Story.Status.RETRACTED),
    }
    stories["dns"].platforms.add(aws)
    hidden_issue = UpstreamIssue.objects.create(
        url="https://github.com/x/y/issues/1", tracker="github", owner="x", repo="y", number=1,
        kind="issue", state="open",
    )  # fmt: skip
    StoryUpstreamIssue.objects.create(story=stories["draft"], upstream_issue=hidden_issue)
    shown_issue = UpstreamIssue.objects.create(
        url="https://github.com/x/y/issues/2", tracker="github", owner="x", repo="y", number=2,
        kind="issue", state="closed",
    )  # fmt: skip
    StoryUpstreamIssue.objects.create(story=stories["dns"], upstream_issue=shown_issue, note="n")
    mitigation = MitigationFactory(slug="cache", title="Cache DNS")
    mitigation.components.add(dns)
    stories["dns"].mitigation_links.create(mitigation=mitigation)
    stories["draft"].mitigation_links.create(mitigation=mitigation)
    index_stories()
    return stories


def slugs(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["slug"] for item in response.json()["results"]]


# --- reading -------------------------------------------------------------------------


def test_list_is_compact_paginated_and_counted(stranger: APIClient, catalogue: dict) -> None:
    body = stranger.get("/api/v1/stories/").json()
    assert body["count"] == 3
    assert [r["title"] for r in body["results"]] == [
        "DNS and etcd together",
        "etcd ran out of space",
        "DNS lookups timed out",
    ]
    assert set(body["results"][0]) == {
        "slug", "url", "title", "organization", "date", "components", "platforms", "impact",
        "updated_at",
    }  # fmt: skip


def test_detail_carries_the_full_record(stranger: APIClient, catalogue: dict) -> None:
    body = stranger.get(f"/api/v1/stories/{catalogue['dns'].slug}/").json()
    assert body["components"] == [{"slug": "dns", "name": "Cluster DNS", "area": "networking"}]
    assert body["platforms"] == ["aws"]
    assert body["sources"][0]["kind"] == "blog-post"
    assert body["upstream"][0]["state"] == "closed"
    assert body["upstream"][0]["note"] == "n"
    assert body["mitigations"] == [{"slug": "cache", "title": "Cache DNS", "note": ""}]
    assert body["date"] == "2018-03"
    assert body["summary"] == "conntrack race, throttled"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("component=dns", {"dns", "both"}),
        ("component=dns&component=etcd", {"both"}),
        ("area=networking", {"dns", "both"}),
        ("platform=aws", {"dns"}),
        ("year_from=2019&year_to=2021", {"etcd"}),
        ("q=throttling", {"dns"}),
        # A component's aliases name the component, not the story: no match by alias alone.
        ("q=ndots", set()),
        ("q=conntrack", {"dns"}),
        ("q=secret", set()),
        ("q=etcd&component=dns", {"both"}),
    ],
)
def test_filters_and_search(
    stranger: APIClient, catalogue: dict[str, Story], query: str, expected: set[str]
) -> None:
    names = {catalogue[key].slug: key for key in catalogue}
    response = stranger.get(f"/api/v1/stories/?{query}")
    assert response.status_code == 200
    assert {names[slug] for slug in slugs(response)} == expected


def test_sorting(stranger: APIClient, catalogue: dict[str, Story]) -> None:
    oldest = slugs(stranger.get("/api/v1/stories/?sort=oldest"))
    assert oldest[0] == catalogue["dns"].slug
    titles = [r["title"] for r in stranger.get("/api/v1/stories/?sort=title").json()["results"]]
    assert titles == sorted(titles)


def test_pagination(stranger: APIClient, catalogue: dict[str, Story]) -> None:
    first = stranger.get("/api/v1/stories/?page_size=2").json()
    assert (first["count"], first["pages"], len(first["results"])) == (3, 2, 2)
    second = stranger.get(first["next"]).json()
    assert len(second["results"]) == 1
    past = stranger.get("/api/v1/stories/?page=50").json()
    assert past["results"] == [] and past["count"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("component=nope", "component"),
        ("platform=mars", "platform"),
        ("kind=tweet", "kind"),
        ("year_from=abc", "year_from"),
        ("year_from=1900", "year_from"),
        ("page_size=1000", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=", "page_size"),
        ("component=", "component"),
        ("year_to=", "year_to"),
        ("sort=", "sort"),
        ("page=abc", "page"),
        ("page=-3", "page"),
        ("sort=sideways", "sort"),
        ("q=" + "x" * (MAX_QUERY_LENGTH + 1), "q"),
        ("q=a%00b", "q"),
        ("component=%00", "component"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    stranger: APIClient, catalogue: dict[str, Story], query: str, field: str
) -> None:
    response = stranger.get(f"/api/v1/stories/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["fields"]


def test_other_resources(stranger: APIClient, catalogue: dict[str, Story]) -> None:
    components = stranger.get("/api/v1/components/?area=networking").json()
    assert [c["slug"] for c in components["results"]] == ["dns"]
    assert components["results"][0]["story_count"] == 2
    mitigation = stranger.get("/api/v1/mitigations/cache/").json()
    assert mitigation["stories"] == [catalogue["dns"].slug]
    assert mitigation["story_count"] == 1
    organizations = stranger.get("/api/v1/organizations/").json()
    assert "hidden-org" not in [o["slug"] for o in organizations["results"]]
    issues = stranger.get("/api/v1/upstream-issues/").json()
    assert [i["number"] for i in issues["results"]] == [2]
    assert stranger.get("/api/v1/upstream-issues/?state=open").json()["count"] == 0
    assert stranger.get("/api/v1/upstream-issues/?state=weird").status_code == 400
    assert stranger.get("/api/v1/upstream-issues/?tracker=").status_code == 400
    assert stranger.get("/api/v1/upstream-issues/?owner=").status_code == 200


def test_nothing_unpublished_anywhere(
    stranger: APIClient, member: APIClient, catalogue: dict
) -> None:
    for client in (stranger, member):
        for key in ("draft", "retracted"):
            response = client.get(f"/api/v1/stories/{catalogue[key].slug}/")
            assert response.status_code == 404
            assert response.json() == {"error": "not_found", "detail": "Not found.", "fields": {}}
        for url in [
            "/api/v1/stories/?page_size=100",
            "/api/v1/stories/?q=secret",
            "/api/v1/stories/?q=retracted",
            "/api/v1/components/",
            "/api/v1/mitigations/",
            "/api/v1/mitigations/cache/",
            "/api/v1/organizations/",
            "/api/v1/upstream-issues/",
        ]:
            text = client.get(url).content.decode()
            assert "Secret draft" not in text and catalogue["draft"].slug not in text, url
            assert "Retracted story" not in text and catalogue["retracted"].slug not in text, url
            assert "hidden-org" not in text and "issues/1" not in text, url
    assert stranger.get("/api/v1/organizations/hidden-org/").status_code == 404
    counts = stranger.get("/api/v1/components/dns/").json()
    assert counts["story_count"] == 2


# --- conditional GET --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/stories/", "/api/v1/components/", "STORY"])
def test_conditional_get(stranger: APIClient, catalogue: dict[str, Story], url: str) -> None:
    if url == "STORY":
        url = f"/api/v1/stories/{catalogue['dns'].slug}/"
    first = stranger.get(url)
    etag = first["ETag"]
    assert stranger.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert stranger.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    if "Last-Modified" in first:
        modified = first["Last-Modified"]
        assert stranger.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    Story.objects.filter(pk=catalogue["dns"].pk).update(title="Renamed")
    assert stranger.get(url, HTTP_IF_NONE_MATCH=etag).status_code in (200, 304)
    changed = stranger.get(url)
    if "Renamed" in changed.content.decode():
        assert changed["ETag"] != etag


def test_story_list_and_detail_send_last_modified(stranger: APIClient, catalogue: dict) -> None:
    assert "Last-Modified" in stranger.get("/api/v1/stories/")
    assert "Last-Modified" in stranger.get(f"/api/v1/stories/{catalogue['dns'].slug}/")


# --- permissions and optimistic concurrency ---------------------------------------------


def story_url(story: Story) -> str:
    return f"/api/v1/stories/{story.slug}/"


@pytest.mark.parametrize(
    ("who", "status"),
    [("stranger", 401), ("member", 403), ("moderator", 200), ("admin", 200)],
)
def test_who_may_edit_a_story(
    request: pytest.FixtureRequest, catalogue: dict[str, Story], who: str, status: int
) -> None:
    client: APIClient = request.getfixturevalue(who)
    story = catalogue["dns"]
    etag = client.get(story_url(story))["ETag"]
    response = client.patch(
        story_url(story), {"title": "Edited"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == status
    assert response.json()["error"] if status != 200 else response.json()["title"] == "Edited"


def test_edit_needs_if_match_and_refuses_stale_etags(moderator: APIClient, catalogue: dict) -> None:
    story = catalogue["dns"]
    missing = moderator.patch(story_url(story), {"title": "x"}, format="json")
    assert missing.status_code == 428
    assert missing.json()["error"] == "precondition_required"
    etag = moderator.get(story_url(story))["ETag"]
    first = moderator.patch(story_url(story), {"title": "First"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first.json()["version"] == 2
    second = moderator.patch(
        story_url(story), {"title": "Second"}, format="json", HTTP_IF_MATCH=etag
    )
    assert second.status_code == 412
    assert Story.objects.get(pk=story.pk).title == "First"
    fresh = first["ETag"]
    third = moderator.patch(
        story_url(story), {"title": "Third"}, format="json", HTTP_IF_MATCH=fresh
    )
    assert third.status_code == 200


def test_edit_validates_and_keeps_what_was_saved(moderator: APIClient, catalogue: dict) -> None:
    story = catalogue["dns"]
    etag = moderator.get(story_url(story))["ETag"]
    response = moderator.patch(
        story_url(story),
        {"components": ["nope"], "status": "pending", "title": "a\x00b"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"components", "status", "title"}
    assert Story.objects.get(pk=story.pk).title == "DNS lookups timed out"


def test_moderator_can_retract_and_the_story_disappears(
    moderator: APIClient, stranger: APIClient, catalogue: dict
) -> None:
    story = catalogue["dns"]
    etag = moderator.get(story_url(story))["ETag"]
    response = moderator.patch(
        story_url(story), {"status": "retracted"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert stranger.get(story_url(story)).status_code == 404
    assert moderator.get(story_url(story)).status_code == 200
    assert story.slug not in slugs(stranger.get("/api/v1/stories/?q=conntrack"))


def test_put_needs_every_field(moderator: APIClient, catalogue: dict) -> None:
    story = catalogue["dns"]
    etag = moderator.get(story_url(story))["ETag"]
    response = moderator.put(story_url(story), {"title": "Only"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert {"summary", "status", "components"} <= set(response.json()["fields"])


def test_reads_are_not_writable(member: APIClient, moderator: APIClient, catalogue: dict) -> None:
    assert member.post("/api/v1/stories/", {}, format="json").status_code == 403
    assert member.delete(story_url(catalogue["dns"])).status_code == 403
    assert moderator.post("/api/v1/stories/", {}, format="json").status_code == 405
    assert moderator.delete(story_url(catalogue["dns"])).status_code == 405
    assert member.post("/api/v1/components/", {}, format="json").status_code == 405


def test_session_auth_keeps_csrf(catalogue: dict) -> None:
    user = make_user("dave", "moderator")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    etag = client.get(story_url(catalogue["dns"]))["ETag"]
    response = client.patch(
        story_url(catalogue["dns"]), {"title": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_throttling_answers_429_with_retry_time(settings, stranger: APIClient) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.throttling import AnonRateThrottle

    rates = {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/min"}
    original = AnonRateThrottle.THROTTLE_RATES
    AnonRateThrottle.THROTTLE_RATES = rates
    try:
        responses = [stranger.get("/api/v1/components/") for _ in range(4)]
    finally:
        AnonRateThrottle.THROTTLE_RATES = original
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    limited = responses[-1]
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["error"] == "throttled"
    assert limited.json()["retry_after"] > 0


# --- schema, docs, query budget -----------------------------------------------------------


def test_schema_documents_every_error_code(stranger: APIClient) -> None:
    schema = stranger.get("/api/v1/schema/?format=json").json()
    detail = schema["paths"]["/api/v1/stories/{slug}/"]
    assert {"400", "401", "403", "404", "429"} <= set(detail["get"]["responses"])
    assert {"409", "412", "428"} <= set(detail["patch"]["responses"])
    assert "Error" in schema["components"]["schemas"]


def test_unknown_api_paths_are_json_404s(stranger: APIClient) -> None:
    for path in ["/api/v1/nothing/", "/api/v1/components/%0A%10/", "/api/v1/stories//"]:
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


def test_docs_pages_are_served_without_a_cdn(client) -> None:  # type: ignore[no-untyped-def]
    for url in ["/api/docs/", "/api/redoc/", "/api/"]:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn." not in html and "googleapis" not in html and "unpkg" not in html, url


def _count(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/stories/",
        "/api/v1/stories/?q=dns",
        "/api/v1/components/",
        "/api/v1/mitigations/",
        "/api/v1/organizations/",
        "/api/v1/upstream-issues/",
    ],
)
def test_query_budget(stranger: APIClient, catalogue: dict, url: str) -> None:
    few = _count(stranger, url)
    dns = ComponentFactory(slug="dns")
    for number in range(15):
        story = StoryFactory(title=f"dns story {number}", components=[dns, ComponentFactory()])
        Source.objects.filter(story=story).update(kind="talk")
    index_stories()
    assert _count(stranger, url) == few


def test_every_operation_has_a_readable_summary() -> None:
    """Redoc and Swagger UI head each operation with its summary, else its operationId."""
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    operations = [
        operation
        for path_item in schema["paths"].values()
        for method, operation in path_item.items()
        if method in ("get", "put", "patch", "post", "delete")
    ]
    assert operations
    for operation in operations:
        summary = operation.get("summary", "")
        assert summary and "_" not in summary, (operation["operationId"], summary)
    summaries = {operation["operationId"]: operation["summary"] for operation in operations}
    assert summaries["v1_components_list"] == "List the published components"
    assert summaries["v1_upstream_issues_retrieve"] == "One published upstream issue"
