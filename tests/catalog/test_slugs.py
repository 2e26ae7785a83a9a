"""Slugs made from any title or organization route on every web and API URL, and an
approval that cannot publish a routable story publishes nothing."""

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, reverse, set_script_prefix
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import Organization, Story, StoryStatus
from apps.catalog.slugs import filtered_url, is_slug, slug_url, slug_words
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import submission_approve, submission_create
from tests.factories import OrganizationFactory, StoryFactory
from tests.submissions.conftest import make_payload

NAMES = [
    "snake_case outage",
    "Foo_Bar Inc",
    "Überlingen Ölförderung",
    "Straße & Søn",
    "日本電気",
    "株式会社 障害",
    "🔥🔥",
    "🇩🇪 ops",
    "!!! ??? ...",
    "__",
    "\uff21\uff22\uff23 \uff23\uff4f\uff52\uff50",  # full-width ABC Corp
    "x" * 200,
    "Ünïcödé_" * 25,
]


@pytest.mark.parametrize("text", NAMES)
def test_any_text_gives_a_slug(text: str) -> None:
    slug = slug_words(text, fallback="story")
    assert is_slug(slug), slug
    assert len(slug) <= 60
    assert slug_words(text, fallback="story") == slug  # the same text, the same slug


def test_slugs_keep_what_can_be_spelled() -> None:
    assert slug_words("snake_case outage", fallback="x") == "snake-case-outage"
    assert slug_words("Überlingen Ölförderung", fallback="x") == "uberlingen-olforderung"
    assert slug_words("Straße & Søn", fallback="x") == "strasse-son"
    assert slug_words("🔥🔥", fallback="x") == "fire-fire"
    assert slug_words("🇩🇪", fallback="x") == "de"
    # Nothing to spell: a fallback word and a hash, different for different names.
    cjk, other = (
        slug_words("日本電気", fallback="organization"),
        slug_words("障害", fallback="organization"),
    )
    assert cjk.startswith("organization-") and other.startswith("organization-")
    assert cjk != other


def _approve(title: str, organization: str, moderator: User) -> Story:
    source = {"url": f"https://blog.example.org/{Story.objects.count()}", "kind": "postmortem"}
    submission = submission_create(
        payload=make_payload(title=title, organization=organization, sources=[source])
    )
    return submission_approve(
        submission=submission, moderator=moderator, expected_version=submission.version
    )


@pytest.mark.parametrize(
    ("title", "organization"),
    [
        ("snake_case outage", "Acme"),
        ("Outage", "Foo_Bar Inc"),
        ("Überlingen Ölförderung", "Überlingen"),
        ("日本語のタイトル", "日本電気"),
        ("🔥🔥", "🔥🔥"),
        ("!!!", "???"),
        ("_", "_"),
    ],
)
def test_approved_stories_route_on_every_surface(
    taxonomy: None, moderator: User, title: str, organization: str
) -> None:
    story = _approve(title, organization, moderator)
    org = story.organization
    assert is_slug(story.slug) and is_slug(org.slug)
    assert story.slug.startswith(f"2021-{org.slug}-")  # a valid story-file name
    client = Client()
    for url in (
        story.get_absolute_url(),
        org.get_absolute_url(),
        f"/api/v1/stories/{story.slug}/",
        f"/api/v1/organizations/{org.slug}/",
        "/api/v1/stories/?page_size=100",
        "/api/v1/organizations/?page_size=100",
        "/sitemap.xml",
        "/feeds/stories.atom",
    ):
        assert client.get(url).status_code == 200, url
    listed = client.get("/api/v1/stories/?page_size=100").json()["results"]
    assert [item["slug"] for item in listed] == [story.slug]


def test_two_emoji_organizations_get_different_slugs(taxonomy: None, moderator: User) -> None:
    first = _approve("Outage", "🔥🔥", moderator)
    second = _approve("Outage", "💧💧", moderator)
    again = _approve("Another outage", "🔥🔥", moderator)
    assert first.organization.slug == "fire-fire"
    assert second.organization.slug == "droplet-droplet"
    assert again.organization == first.organization


def test_same_title_twice_gets_a_numbered_slug(taxonomy: None, moderator: User) -> None:
    first = _approve("🔥🔥", "🔥🔥", moderator)
    assert _approve("🔥🔥", "🔥🔥", moderator).slug == f"{first.slug}-2"
    assert first.slug == "2021-fire-fire-fire-fire"


def test_a_taken_organization_slug_is_numbered(taxonomy: None, moderator: User) -> None:
    OrganizationFactory(name="Fire Fire", slug="fire-fire")
    story = _approve("Outage", "🔥🔥", moderator)
    assert story.organization.slug == "fire-fire-2"
    assert Client().get(story.organization.get_absolute_url()).status_code == 200


@pytest.fixture
def moderator_api(moderator: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=moderator)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _etag(client: APIClient, submission: Submission) -> str:
    return str(client.get(f"/api/v1/submissions/{submission.pk}/")["ETag"])


def test_api_approval_of_an_underscore_title_publishes_a_routable_story(
    taxonomy: None, moderator_api: APIClient
) -> None:
    submission = submission_create(payload=make_payload(title="snake_case outage"))
    response = moderator_api.post(
        f"/api/v1/submissions/{submission.pk}/approve/",
        {},
        format="json",
        HTTP_IF_MATCH=_etag(moderator_api, submission),
    )
    assert response.status_code == 200
    story_url = response.json()["story_url"]
    assert story_url.endswith("/api/v1/stories/2021-example-corp-snake-case-outage/")
    assert moderator_api.get(story_url).status_code == 200
    assert moderator_api.get("/api/v1/stories/?page_size=100").status_code == 200


def test_an_approval_that_fails_after_publishing_publishes_nothing(
    taxonomy: None, moderator_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever fails while the approval's answer is made rolls the approval back."""
    submission = submission_create(payload=make_payload())
    etag = _etag(moderator_api, submission)
    moderator_api.raise_request_exception = False

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("no URL for this story")

    monkeypatch.setattr("apps.api.submissions.reverse", broken)
    response = moderator_api.post(
        f"/api/v1/submissions/{submission.pk}/approve/", {}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 500
    assert not Story.objects.exists()
    assert not Organization.objects.filter(name="Example Corp").exists()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    assert submission.version == 1


def test_the_service_refuses_to_publish_an_unroutable_slug(
    taxonomy: None, moderator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "apps.submissions.services.unique_story_slug", lambda record: "2021-snake_case"
    )
    submission = submission_create(payload=make_payload())
    with pytest.raises(ValueError, match="not a slug"):
        submission_approve(
            submission=submission, moderator=moderator, expected_version=submission.version
        )
    assert not Story.objects.exists()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING


@pytest.mark.django_db
def test_admin_refuses_slugs_no_url_routes(admin_client: Client) -> None:
    story = StoryFactory(slug="2020-acme-fine")
    response = admin_client.post(
        f"/admin/catalog/organization/{story.organization.pk}/change/",
        {"name": story.organization.name, "slug": "Acme_Corp"},
    )
    assert response.status_code == 200
    assert "single hyphens" in response.content.decode()
    story.organization.refresh_from_db()
    assert story.organization.slug != "Acme_Corp"


@pytest.mark.django_db
def test_migration_renames_stored_slugs_no_url_routes() -> None:
    migration = importlib.import_module("apps.catalog.migrations.0004_routable_slugs")
    organization = OrganizationFactory(name="Foo_Bar", slug="foo_bar")
    bad = StoryFactory(slug="2021-foo_bar-snake_Case", organization=organization)
    StoryFactory(slug="2021-foo-bar-snake-case")  # takes the plain name
    good = StoryFactory(slug="2020-fine")
    migration.routable_slugs(django_apps, None)
    bad.refresh_from_db()
    organization.refresh_from_db()
    good.refresh_from_db()
    assert bad.slug == "2021-foo-bar-snake-case-2"
    assert organization.slug == "foo-bar"
    assert good.slug == "2020-fine"
    assert Story.objects.filter(status=StoryStatus.PUBLISHED).count() == 3
    assert Client().get("/api/v1/stories/?page_size=100").status_code == 200


@pytest.mark.parametrize(
    "viewname",
    ["web:story-detail", "web:component-detail", "web:organization-detail", "api:story-detail"],
)
@pytest.mark.parametrize("slug", ["2019-acme-dns", "etcd", "x", "a1-b2-c3"])
def test_slug_url_is_what_reverse_writes(viewname: str, slug: str) -> None:
    assert slug_url(viewname, slug) == reverse(viewname, kwargs={"slug": slug})


def test_slug_url_follows_the_script_prefix() -> None:
    try:
        set_script_prefix("/kfs/")
        assert slug_url("web:story-detail", "2019-acme") == "/kfs/stories/2019-acme/"
    finally:
        set_script_prefix("/")
    assert slug_url("web:story-detail", "2019-acme") == "/stories/2019-acme/"


def test_slug_url_leaves_other_values_to_reverse() -> None:
    """A stored value that is not a slug links as reverse() would write it, or not at all."""
    assert slug_url("web:story-detail", "Foo_Bar") == "/stories/Foo_Bar/"
    with pytest.raises(NoReverseMatch):
        slug_url("web:story-detail", "a b")


def test_filtered_url_is_the_list_with_one_value() -> None:
    assert filtered_url("web:story-list", "platform", "aws") == "/stories/?platform=aws"
    # A stored value that is not a slug is quoted, never read as more parameters.
    assert filtered_url("web:story-list", "platform", "a&b=c") == "/stories/?platform=a%26b%3Dc"
    try:
        set_script_prefix("/kfs/")
        assert filtered_url("web:story-list", "platform", "gke") == "/kfs/stories/?platform=gke"
    finally:
        set_script_prefix("/")
