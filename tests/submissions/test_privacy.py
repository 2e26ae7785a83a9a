"""Nothing unapproved is public: not on a page, in the API, a feed, the sitemap, a search
result, a facet or any count.

The catalogue holds two published stories and, next to them, one of everything that
must stay hidden: a pending new submission, one waiting for changes, a rejected one, a
pending edit and a pending additional source for a published story, a story approved
and then retracted, and a draft. Each hidden thing carries its own made-up word, so a
leak anywhere shows up as that word.
"""

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from apps.catalog.models import (
    ImpactKind,
    Source,
    Story,
    StoryMitigation,
    StoryStatus,
    StoryUpstreamIssue,
    UpstreamIssue,
)
from apps.search.indexing import index_stories
from apps.submissions.services import (
    additional_source_payload,
    story_retract,
    submission_approve,
    submission_create,
    submission_reject,
    submission_request_changes,
)
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    MitigationFactory,
    OrganizationFactory,
    PlatformFactory,
    SourceFactory,
    StoryFactory,
)
from tests.submissions.conftest import edit_payload, make_payload

pytestmark = pytest.mark.django_db

# Words that only hidden things contain (in titles, organizations, slugs, URLs, summaries).
HIDDEN_WORDS = [
    "pendingwombat",
    "changeswombat",
    "rejectwombat",
    "editwombat",
    "sourcewombat",
    "retractwombat",
    "draftwombat",
    "pendingowner",
    "changesowner",
    "rejectowner",
    "retractowner",
    "draftowner",
]
# Phrases of hidden things that contain none of the words above (a search echoes its words).
HIDDEN_PHRASES = [
    "scheduler meltdown",
    "controller took the cluster down",
    "etcd compaction",
    "rewrote the title",
    "shared org story",
]


def hidden_payload(word: str, **overrides: Any) -> dict[str, Any]:
    """A story only hidden things use: its own component, platform, impact, year and words."""
    return make_payload(
        title=f"{word.title()} scheduler meltdown",
        organization=f"{word.title()} AG",
        date="2015-06",
        sources=[{"url": f"https://{word}.example/postmortem", "kind": "postmortem"}],
        components=["kube-zebra", "dns"],
        platforms=["platypus-cloud"],
        impact=["data-loss"],
        upstream=[
            {"url": f"https://github.com/{word[:-6]}owner/repo/issues/7", "note": f"{word} bug"},
            {"url": "https://github.com/coredns/coredns/issues/1", "note": ""},
        ],
        mitigations=[{"slug": "zebra-mitigation", "note": f"{word} note"}],
        summary=f"The {word} controller took the cluster down.",
        **overrides,
    )


@pytest.fixture
def world(taxonomy: None, moderator: User) -> dict[str, Any]:
    hidden_area = ComponentAreaFactory(slug="zoo", name="Zoo area")
    ComponentFactory(slug="kube-zebra", name="Zebra Proxy", area=hidden_area)
    platypus = PlatformFactory(slug="platypus-cloud", name="Platypus Cloud")
    ImpactKind.objects.get_or_create(slug="data-loss", defaults={"name": "Data loss"})
    zebra = MitigationFactory(slug="zebra-mitigation", title="Zebra fence")

    # Published: one approved web submission, one file story.
    approved = submission_create(payload=make_payload())
    web_story = submission_approve(submission=approved, moderator=moderator, expected_version=1)
    shared = OrganizationFactory(name="Shared Org", slug="shared-org")
    file_story = StoryFactory(
        title="Public etcd story",
        slug="2020-shared-org-public-etcd-story",
        organization=shared,
        components=list(web_story.components.filter(slug="dns")),
    )

    # Open and rejected submissions.
    submission_create(payload=hidden_payload("pendingwombat"), email="p@example.org")
    changes = submission_create(payload=hidden_payload("changeswombat"))
    submission_request_changes(
        submission=changes, moderator=moderator, expected_version=1, message="More detail."
    )
    rejected = submission_create(payload=hidden_payload("rejectwombat"))
    submission_reject(submission=rejected, moderator=moderator, expected_version=1, reason="No.")

    # A pending edit and a pending extra source for the published file story.
    edit = edit_payload(
        file_story, title="Editwombat rewrote the title", summary="The editwombat summary."
    )
    submission_create(payload=edit, story=file_story)
    extra = additional_source_payload(
        file_story,
        {"url": "https://sourcewombat.example/talk", "kind": "talk", "title": "Sourcewombat talk"},
    )
    submission_create(payload=extra, story=file_story, kind="source")

    # Approved, then retracted; and a retracted file story of a public organization.
    retracted_submission = submission_create(payload=hidden_payload("retractwombat"))
    retracted = submission_approve(
        submission=retracted_submission, moderator=moderator, expected_version=1
    )
    story_retract(story=retracted, moderator=moderator, expected_version=1, reason="Made up.")
    StoryFactory(
        title="Retractwombat shared org story",
        slug="2020-shared-org-retractwombat",
        organization=shared,
        status=StoryStatus.RETRACTED,
        components=list(web_story.components.filter(slug="dns")),
    )

    # A draft with every kind of link.
    draft = StoryFactory(
        title="Draftwombat etcd compaction",
        slug="2014-draftwombat-co-draftwombat-etcd",
        organization=OrganizationFactory(name="Draftwombat Co", slug="draftwombat-co"),
        status=StoryStatus.DRAFT,
        published_on=datetime.date(2014, 2, 1),
        summary="The draftwombat summary.",
        components=list(web_story.components.model.objects.filter(slug__in=["kube-zebra", "dns"])),
        sources=False,
    )
    draft.platforms.add(platypus)
    SourceFactory(story=draft, url="https://draftwombat.example/post")
    issue = UpstreamIssue.objects.create(
        url="https://github.com/draftowner/repo/issues/3",
        tracker="github",
        owner="draftowner",
        repo="repo",
        number=3,
        kind="issue",
    )
    StoryUpstreamIssue.objects.create(story=draft, upstream_issue=issue, note="draftwombat")
    StoryMitigation.objects.create(story=draft, mitigation=zebra, note="draftwombat")

    # Every story has a search document, hidden ones too: the filter, not luck, hides them.
    index_stories()
    return {
        "web_story": web_story,
        "file_story": file_story,
        "retracted": Story.objects.get(pk=retracted.pk),
        "draft": draft,
    }


def assert_no_hidden_words(text: str, where: str, *, searched: str = "") -> None:
    lowered = text.lower()
    for phrase in HIDDEN_PHRASES:
        assert phrase not in lowered, f"{phrase!r} leaked on {where}"
    for word in HIDDEN_WORDS:
        if word != searched:
            assert word not in lowered, f"{word!r} leaked on {where}"


def public_urls(world: dict[str, Any]) -> list[str]:
    web_story, file_story = world["web_story"], world["file_story"]
    return [
        reverse("web:home"),
        reverse("web:story-list"),
        reverse("web:story-list") + "?component=kube-zebra",
        reverse("web:story-list") + "?component=dns&sort=title",
        reverse("web:story-list") + "?year_from=2014&year_to=2015",
        web_story.get_absolute_url(),
        file_story.get_absolute_url(),
        reverse("web:component-list"),
        reverse("web:component-detail", kwargs={"slug": "kube-zebra"}),
        reverse("web:component-detail", kwargs={"slug": "dns"}),
        reverse("web:mitigation-list"),
        reverse("web:mitigation-detail", kwargs={"slug": "zebra-mitigation"}),
        reverse("web:mitigation-detail", kwargs={"slug": "node-local-dns"}),
        reverse("web:organization-list"),
        reverse("web:organization-detail", kwargs={"slug": "shared-org"}),
        web_story.organization.get_absolute_url(),
        reverse("web:trends"),
        reverse("web:feed-stories"),
        reverse("web:feed-search") + "?component=dns",
        reverse("web:feed-component", kwargs={"slug": "kube-zebra"}),
        reverse("web:feed-component", kwargs={"slug": "dns"}),
        reverse("web:sitemap"),
        "/api/v1/stories/",
        "/api/v1/stories/?page_size=100",
        "/api/v1/stories/?component=dns",
        f"/api/v1/stories/{web_story.slug}/",
        f"/api/v1/stories/{file_story.slug}/",
        "/api/v1/components/",
        "/api/v1/components/kube-zebra/",
        "/api/v1/components/dns/",
        "/api/v1/mitigations/",
        "/api/v1/mitigations/zebra-mitigation/",
        "/api/v1/organizations/",
        "/api/v1/organizations/shared-org/",
        "/api/v1/upstream-issues/",
        # The OpenAPI document's enums of filter values come from the public querysets too.
        "/api/v1/schema/",
        "/api/v1/schema/?format=json",
    ]


def test_no_public_surface_shows_a_hidden_word(client: Client, world: dict[str, Any]) -> None:
    for url in public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_hidden_words(response.content.decode(), url)
    # The published stories themselves do show, so the pages above were not empty.
    for url in [reverse("web:story-list"), reverse("web:feed-stories"), "/api/v1/stories/"]:
        content = client.get(url).content.decode()
        assert world["web_story"].slug in content, url
        assert world["file_story"].slug in content, url
    schema = client.get("/api/v1/schema/?format=json").json()
    story_list = schema["paths"]["/api/v1/stories/"]["get"]["parameters"]
    (organization,) = [p for p in story_list if p["name"] == "organization"]
    enum = organization["schema"].get("items", organization["schema"])["enum"]
    assert enum == sorted([world["web_story"].organization.slug, "shared-org"])


def test_searching_for_hidden_words_finds_nothing(client: Client, world: dict[str, Any]) -> None:
    for word in HIDDEN_WORDS:
        page = client.get(reverse("web:story-list"), {"q": word})
        assert page.status_code == 200
        assert page.context["paginator"].count == 0, word
        assert_no_hidden_words(page.content.decode(), f"search {word}", searched=word)
        api = client.get("/api/v1/stories/", {"q": word}).json()
        assert api["count"] == 0, word
        feed = client.get(reverse("web:feed-search"), {"q": word}).content.decode()
        assert "<entry>" not in feed, word
        assert_no_hidden_words(feed, f"search feed {word}", searched=word)
    # The same search engine finds public words.
    assert client.get(reverse("web:story-list"), {"q": "CoreDNS"}).context["paginator"].count == 1
    assert client.get("/api/v1/stories/", {"q": "etcd"}).json()["count"] == 1


def test_hidden_stories_and_organizations_are_not_found(
    client: Client, world: dict[str, Any]
) -> None:
    for story in (world["retracted"], world["draft"]):
        assert client.get(story.get_absolute_url()).status_code == 404, story.slug
        assert client.get(f"/api/v1/stories/{story.slug}/").status_code == 404, story.slug
    for slug in (world["retracted"].organization.slug, "draftwombat-co"):
        assert (
            client.get(reverse("web:organization-detail", kwargs={"slug": slug})).status_code == 404
        ), slug
        assert client.get(f"/api/v1/organizations/{slug}/").status_code == 404, slug


def test_counts_include_published_stories_only(client: Client, world: dict[str, Any]) -> None:
    home = client.get(reverse("web:home")).context
    assert (home["story_count"], home["organization_count"]) == (2, 2)
    assert {s.slug for s in home["recent_stories"]} == {
        world["web_story"].slug,
        world["file_story"].slug,
    }
    home_counts = {c.slug: c.story_count for a in home["areas"] for c in a.components.all()}
    assert home_counts["kube-zebra"] == 0
    assert home_counts["dns"] == 2

    listing = client.get(reverse("web:story-list")).context
    assert listing["paginator"].count == 2
    facets = {facet.name: {v.value: v.count for v in facet.values} for facet in listing["facets"]}
    assert facets["component"] == {"dns": 2, "coredns": 1}
    assert facets["area"] == {"networking": 2}
    assert facets["platform"] == {"aws": 1}
    assert facets["impact"] == {"outage": 1}
    assert facets["organization"] == {"example-corp": 1, "shared-org": 1}
    assert facets["year"] == {"2021": 1, "2020": 1}
    for url in (
        "?component=kube-zebra",
        "?platform=platypus-cloud",
        "?impact=data-loss",
        "?year_from=2014&year_to=2015",
    ):
        assert client.get(reverse("web:story-list") + url).context["paginator"].count == 0, url

    components = client.get(reverse("web:component-list")).context["areas"]
    counts = {c.slug: c.story_count for a in components for c in a.components.all()}
    assert (counts["kube-zebra"], counts["dns"], counts["coredns"]) == (0, 2, 1)
    zebra = client.get(reverse("web:component-detail", kwargs={"slug": "kube-zebra"}))
    assert list(zebra.context["stories"]) == []
    dns = client.get(reverse("web:component-detail", kwargs={"slug": "dns"}))
    assert len(dns.context["stories"]) == 2

    mitigations = client.get(reverse("web:mitigation-list")).context["mitigations"]
    assert {m.slug: m.story_count for m in mitigations} == {
        "node-local-dns": 1,
        "zebra-mitigation": 0,
    }
    fence = client.get(reverse("web:mitigation-detail", kwargs={"slug": "zebra-mitigation"}))
    assert list(fence.context["stories"]) == []

    organizations = client.get(reverse("web:organization-list")).context["organizations"]
    assert [(o.name, o.story_count) for o in organizations] == [
        ("Example Corp", 1),
        ("Shared Org", 1),
    ]
    shared = client.get(reverse("web:organization-detail", kwargs={"slug": "shared-org"}))
    assert [s.slug for s in shared.context["stories"]] == [world["file_story"].slug]

    trends = client.get(reverse("web:trends")).context
    assert trends["story_count"] == 2
    assert [row.year for row in trends["year_rows"]] == [2020, 2021]
    assert {row.slug for row in trends["components"]} == {"dns", "coredns"}
    assert {row.slug for row in trends["platforms"]} == {"aws"}
    assert [area.slug for area in trends["areas"]] == ["networking"]

    detail = client.get(world["file_story"].get_absolute_url()).context
    assert [s.slug for s in detail["related"]] == [world["web_story"].slug]
    assert detail["story"].title == "Public etcd story"
    assert [s.url for s in detail["story"].sources.all()] == list(
        Source.objects.filter(story=world["file_story"]).values_list("url", flat=True)
    )


def test_feeds_and_sitemap_list_published_stories_only(
    client: Client, world: dict[str, Any]
) -> None:
    def entries(url: str) -> int:
        return client.get(url).content.decode().count("<entry>")

    assert entries(reverse("web:feed-stories")) == 2
    assert entries(reverse("web:feed-search")) == 2
    assert entries(reverse("web:feed-search") + "?component=kube-zebra") == 0
    assert entries(reverse("web:feed-component", kwargs={"slug": "kube-zebra"})) == 0
    assert entries(reverse("web:feed-component", kwargs={"slug": "dns"})) == 2

    index = client.get(reverse("web:sitemap")).content.decode()
    sections = re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", index)
    sitemap = "".join(client.get(section).content.decode() for section in sections)
    locations = re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", sitemap)
    stories = sorted(loc for loc in locations if loc.startswith("/stories/") and loc != "/stories/")
    assert stories == sorted(
        [world["web_story"].get_absolute_url(), world["file_story"].get_absolute_url()]
    )
    organizations = sorted(
        loc for loc in locations if loc.startswith("/organizations/") and loc != "/organizations/"
    )
    assert organizations == sorted(
        [world["web_story"].organization.get_absolute_url(), "/organizations/shared-org/"]
    )


def test_api_lists_and_counts_published_stories_only(client: Client, world: dict[str, Any]) -> None:
    stories = client.get("/api/v1/stories/").json()
    assert stories["count"] == 2
    assert {s["slug"] for s in stories["results"]} == {
        world["web_story"].slug,
        world["file_story"].slug,
    }
    assert client.get("/api/v1/stories/?component=kube-zebra").json()["count"] == 0
    assert client.get("/api/v1/stories/?platform=platypus-cloud").json()["count"] == 0

    components = {
        c["slug"]: c["story_count"] for c in client.get("/api/v1/components/").json()["results"]
    }
    assert (components["kube-zebra"], components["dns"], components["coredns"]) == (0, 2, 1)
    assert client.get("/api/v1/components/kube-zebra/").json()["story_count"] == 0

    organizations = client.get("/api/v1/organizations/").json()["results"]
    assert [(o["name"], o["story_count"], o["stories"]) for o in organizations] == [
        ("Example Corp", 1, [world["web_story"].slug]),
        ("Shared Org", 1, [world["file_story"].slug]),
    ]

    mitigations = {m["slug"]: m for m in client.get("/api/v1/mitigations/").json()["results"]}
    assert mitigations["zebra-mitigation"]["story_count"] == 0
    assert mitigations["node-local-dns"]["story_count"] == 1
    fence = client.get("/api/v1/mitigations/zebra-mitigation/").json()
    assert fence["stories"] == []

    issues = client.get("/api/v1/upstream-issues/").json()
    assert [(i["owner"], i["number"], i["stories"]) for i in issues["results"]] == [
        ("coredns", 1, [world["web_story"].slug])
    ]


@pytest.mark.parametrize("url", ["/api/v1/stories/", "/stories/", "/feeds/search.atom"])
def test_unknown_and_hidden_organizations_answer_alike(
    client: Client, world: dict[str, Any], url: str
) -> None:
    """Filtering by an organization whose only story is retracted must not reveal that
    the organization exists: the answer is the one for a name that was never there."""
    hidden = world["retracted"].organization.slug

    def answer(slug: str) -> tuple[int, str]:
        response = client.get(url, {"organization": slug})
        text = response.content.decode().replace(slug, "SLUG")
        return response.status_code, re.sub(r"<updated>[^<]*</updated>", "", text)

    assert answer(hidden) == answer("no-such-org")


def test_moderation_surfaces_are_closed_to_strangers(client: Client, world: dict[str, Any]) -> None:
    for url in ("/api/v1/submissions/", "/moderation/"):
        response = client.get(url)
        assert response.status_code != 200, url
        assert_no_hidden_words(response.content.decode(), url)


def test_duplicate_checks_never_name_a_hidden_story(world: dict[str, Any]) -> None:
    from apps.submissions.duplicates import find_duplicates

    urls = {
        "https://retractwombat.example/postmortem": world["retracted"],
        "https://draftwombat.example/post": world["draft"],
        "https://blog.example.org/coredns-oom": world["web_story"],
    }
    public = {d.canonical_url: d for d in find_duplicates(list(urls))}
    assert public["https://retractwombat.example/postmortem"].story is None
    assert public["https://draftwombat.example/post"].story is None
    assert public["https://blog.example.org/coredns-oom"].story == world["web_story"]
    moderators = {d.canonical_url: d for d in find_duplicates(list(urls), public_only=False)}
    assert moderators["https://retractwombat.example/postmortem"].story == world["retracted"]


@pytest.mark.parametrize(
    "url",
    [
        "https://pendingwombat.example/postmortem",
        "https://changeswombat.example/postmortem",
        "https://retractwombat.example/postmortem",
        "https://draftwombat.example/post",
        "https://sourcewombat.example/talk",
    ],
)
def test_the_public_duplicate_check_shows_no_hidden_details(
    client: Client, world: dict[str, Any], url: str
) -> None:
    response = client.get("/submit/check-urls/", {"url": url})
    searched = url.split("//")[1].split(".")[0]
    assert_no_hidden_words(response.content.decode(), f"check-urls {url}", searched=searched)
