"""Writes that name keys the API does not take (read-only or unknown) are a 400 naming
each key, and change nothing: story edits, the moderation workflow, and submissions."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog.models import Story
from apps.catalog.storyfiles.payload import LIST_LIMITS
from apps.core.models import AuditEntry
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import submission_create
from tests.api.conftest import client_for
from tests.submissions.conftest import make_payload, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_submission_limits")]

STORY = "/api/v1/stories/2020-acme-etcd-ran-out-of-space/"


@pytest.fixture
def moderator(taxonomy: None) -> APIClient:
    return client_for(make_user("mona", "moderator"))


def snapshot(story: Story) -> tuple[Any, ...]:
    story.refresh_from_db()
    return (story.title, story.slug, story.version, story.status, story.published_on)


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize(
    ("extra", "read_only", "unknown"),
    [
        ({"slug": "taken-over"}, {"slug"}, set()),
        ({"date": "1999"}, {"date"}, set()),
        ({"sources": [{"url": "https://a.example.org", "kind": "talk"}]}, {"sources"}, set()),
        ({"version": 99, "organization": "Other"}, {"version", "organization"}, set()),
        ({"titel": "typo"}, set(), {"titel"}),
        ({"slug": "x", "colour": "red"}, {"slug"}, {"colour"}),
    ],
)  # fmt: skip
def test_story_edit_with_keys_it_does_not_take_is_a_400_and_changes_nothing(
    moderator: APIClient,
    published_story: Story,
    method: str,
    extra: dict[str, Any],
    read_only: set[str],
    unknown: set[str],
) -> None:
    before = snapshot(published_story)
    etag = moderator.get(STORY)["ETag"]
    body = {
        "title": "Changed title",
        "summary": "Changed.",
        "status": "published",
        "components": ["dns"],
        "platforms": [],
        "impact": [],
        **extra,
    }
    response = getattr(moderator, method)(STORY, body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == read_only | unknown
    for name in read_only:
        assert fields[name] == ["This field is read-only."]
    for name in unknown:
        assert fields[name][0].startswith("Unknown field; the writable fields are: components")
    assert snapshot(published_story) == before
    assert not AuditEntry.objects.filter(story_id=published_story.pk).exists()


def test_unknown_keys_are_reported_with_invalid_values(
    moderator: APIClient, published_story: Story
) -> None:
    etag = moderator.get(STORY)["ETag"]
    response = moderator.patch(
        STORY, {"status": "nope", "slug": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "slug"}


def test_a_story_edit_with_only_writable_keys_still_works(
    moderator: APIClient, published_story: Story
) -> None:
    etag = moderator.get(STORY)["ETag"]
    response = moderator.patch(STORY, {"title": "Renamed"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert snapshot(published_story)[:3] == ("Renamed", published_story.slug, 2)


def test_form_encoded_edit_with_unknown_keys_is_refused(
    moderator: APIClient, published_story: Story
) -> None:
    etag = moderator.get(STORY)["ETag"]
    response = moderator.patch(
        STORY,
        "title=Renamed&slug=elsewhere",
        content_type="application/x-www-form-urlencoded",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"slug"}
    assert snapshot(published_story)[0] == "etcd ran out of space"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("approve", {"message": "ok", "status": "approved"}),
        ("approve", {"verified": "source", "story": "2020-acme-etcd-ran-out-of-space"}),
        ("reject", {"reason": "spam", "version": 5}),
        ("request-changes", {"message": "more detail", "payload": {"title": "x"}}),
    ],
)
def test_workflow_actions_with_unknown_keys_change_nothing(
    moderator: APIClient, action: str, body: dict[str, Any]
) -> None:
    submission = submission_create(payload=make_payload())
    url = f"/api/v1/submissions/{submission.pk}/"
    etag = moderator.get(url)["ETag"]
    response = moderator.post(f"{url}{action}/", body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    unknown = set(body) - {"message", "reason", "verified", "story_version"}
    assert set(response.json()["fields"]) == unknown
    submission.refresh_from_db()
    assert (submission.status, submission.version) == (SubmissionStatus.PENDING, 1)
    assert not Story.objects.exists()


def test_retract_with_unknown_keys_changes_nothing(
    moderator: APIClient, published_story: Story
) -> None:
    before = snapshot(published_story)
    etag = moderator.get(STORY)["ETag"]
    response = moderator.post(
        f"{STORY}retract/", {"reason": "gone", "status": "draft"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status"}
    assert snapshot(published_story) == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"status": "approved"}, "status"),
        ({"id": 7}, "id"),
        ({"slug": "mine"}, "slug"),
        ({"verified": "source"}, "verified"),
    ],
)
def test_submissions_with_keys_they_do_not_take_are_refused(
    moderator: APIClient, extra: dict[str, Any], field: str
) -> None:
    response = moderator.post("/api/v1/submissions/", {**make_payload(), **extra}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Submission.objects.exists()


def test_strict_request_bodies_are_documented_as_closed(moderator: APIClient) -> None:
    schemas = moderator.get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    for name in (
        "StoryWriteRequest",
        "PatchedStoryWriteRequest",
        "ApproveRequest",
        "RejectRequest",
        "RequestChangesRequest",
        "StoryRetractRequest",
    ):
        assert schemas[name]["additionalProperties"] is False, name


@pytest.mark.parametrize(("key", "term"), [("components", "dns"), ("platforms", "aws")])
def test_story_edit_with_a_long_list_of_terms_is_a_400_before_any_is_looked_up(
    moderator: APIClient, published_story: Story, key: str, term: str
) -> None:
    """Each entry cost a query: 20,000 repeats of one component took 14 s and answered 200."""
    before = snapshot(published_story)
    etag = moderator.get(STORY)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = moderator.patch(STORY, {key: [term] * 20_000}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content[:500]
    assert response.json()["fields"] == {key: [f"At most {LIST_LIMITS[key]} entries are allowed."]}
    assert len(queries) < 20
    assert snapshot(published_story) == before
