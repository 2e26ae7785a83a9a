"""Every failure under /api/ is a 4xx or 5xx in the one error shape, and a refused body
changes nothing: hostile JSON, bodies Django refuses to read, unknown URLs, methods and
media types, and an unhandled exception."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from apps.api.parsers import MAX_DEPTH
from apps.catalog.models import Story
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import submission_create
from tests.api.conftest import client_for as token_client_for
from tests.submissions.conftest import make_payload, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_submission_limits")]

STORY = "/api/v1/stories/2020-acme-etcd-ran-out-of-space/"


def client_for(user: User | None) -> APIClient:
    client = token_client_for(user)
    client.raise_request_exception = False
    return client


@pytest.fixture
def member(taxonomy: None) -> APIClient:
    return client_for(make_user("sam"))


@pytest.fixture
def moderator(taxonomy: None) -> APIClient:
    return client_for(make_user("mona", "moderator"))


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error", "detail", "fields"}
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["error"] == code
    return dict(body)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


# Hostile JSON -------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_deep_json_is_a_400_not_a_recursion_error(member: APIClient, body: str) -> None:
    response = member.post("/api/v1/submissions/", body, content_type="application/json")
    body_json = assert_error(response, 400, "parse_error")
    assert f"more than {MAX_DEPTH} levels" in body_json["detail"]
    assert not Submission.objects.exists()


def test_nesting_up_to_the_maximum_is_parsed(member: APIClient) -> None:
    # Parsed, then refused by the story rules: a 400 about the field, not about depth.
    ok = member.post(
        "/api/v1/submissions/",
        json.dumps(make_payload(title=nested(MAX_DEPTH - 1))),
        content_type="application/json",
    )
    assert assert_error(ok, 400, "invalid")["fields"].keys() >= {"title"}
    too_deep = member.post(
        "/api/v1/submissions/",
        json.dumps(make_payload(title=nested(MAX_DEPTH))),
        content_type="application/json",
    )
    assert_error(too_deep, 400, "parse_error")


def test_deep_json_on_approve_is_a_400_and_approves_nothing(moderator: APIClient) -> None:
    submission = submission_create(payload=make_payload())
    etag = moderator.get(f"/api/v1/submissions/{submission.pk}/")["ETag"]
    response = moderator.post(
        f"/api/v1/submissions/{submission.pk}/approve/",
        "[" * 5000 + "]" * 5000,
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert_error(response, 400, "parse_error")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    assert not Story.objects.exists()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('"summary": "a\\ud800b"', "summary"),
        ('"title": "\\udfff"', "title"),
        ('"sources": [{"url": "https://a.example.org/x", "kind": "blog-post", '
         '"title": "x\\udc00"}]', "sources[0].title"),
    ],
)  # fmt: skip
def test_lone_surrogates_are_a_400_naming_the_field(
    member: APIClient, text: str, field: str
) -> None:
    body = json.dumps(make_payload())[:-1] + ", " + text + "}"
    response = member.post("/api/v1/submissions/", body, content_type="application/json")
    errors = assert_error(response, 400, "invalid")["fields"]
    assert list(errors) == [field]
    assert "surrogate" in errors[field][0]
    assert not Submission.objects.exists()


def test_surrogate_pairs_are_text(member: APIClient) -> None:
    body = json.dumps(make_payload(summary="Fire: \U0001f525, escaped as a pair."))
    assert "\\ud83d\\udd25" in body
    response = member.post("/api/v1/submissions/", body, content_type="application/json")
    assert response.status_code == 201
    assert "\U0001f525" in Submission.objects.get().payload["summary"]


def test_lone_surrogate_in_a_story_edit_changes_nothing(
    moderator: APIClient, published_story: Story
) -> None:
    etag = moderator.get(STORY)["ETag"]
    response = moderator.patch(
        STORY, '{"summary": "\\ud800"}', content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert assert_error(response, 400, "invalid")["fields"].keys() == {"summary"}
    published_story.refresh_from_db()
    assert published_story.version == 1


def test_lone_surrogate_as_a_key_is_a_400(member: APIClient) -> None:
    response = member.post(
        "/api/v1/submissions/", '{"\\ud800": 1}', content_type="application/json"
    )
    assert "surrogate" in json.dumps(assert_error(response, 400, "invalid")["fields"])


@pytest.mark.parametrize("body", ["{", "[1,]", '{"a": NaN}', "\xff\xfe"])
def test_malformed_json_is_a_400(member: APIClient, body: str) -> None:
    response = member.post(
        "/api/v1/submissions/", body.encode("latin-1"), content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


# Bodies Django refuses to read --------------------------------------------------------


def test_a_10_mb_body_is_a_json_400(
    member: APIClient, moderator: APIClient, published_story: Story
) -> None:
    big = json.dumps(make_payload(summary="x" * 10_000_000))
    response = member.post("/api/v1/submissions/", big, content_type="application/json")
    assert "bytes" in assert_error(response, 400, "request_too_large")["detail"]
    etag = moderator.get(STORY)["ETag"]
    response = moderator.patch(STORY, big, content_type="application/json", HTTP_IF_MATCH=etag)
    assert_error(response, 400, "request_too_large")
    assert not Submission.objects.exists()


def test_too_many_form_fields_is_a_json_400(moderator: APIClient, published_story: Story) -> None:
    etag = moderator.get(STORY)["ETag"]
    form = "&".join(f"field{i}=1" for i in range(2000))
    response = moderator.patch(
        STORY, form, content_type="application/x-www-form-urlencoded", HTTP_IF_MATCH=etag
    )
    assert_error(response, 400, "too_many_fields")
    published_story.refresh_from_db()
    assert published_story.version == 1


# Unknown URLs, methods, media types ---------------------------------------------


def test_not_found_method_media_type_and_accept(member: APIClient, published_story: Story) -> None:
    assert_error(member.get("/api/v1/nope/"), 404, "not_found")
    assert_error(member.get("/api/v1/stories/no-such-story/"), 404, "not_found")
    assert_error(member.get("/api/v2/"), 404, "not_found")
    assert_error(member.delete("/api/v1/components/"), 405, "method_not_allowed")
    response = member.post("/api/", {})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert_error(
        member.post("/api/v1/submissions/", "x", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    for url in ("/api/v1/stories/", "/api/v1/schema/", "/api/docs/"):
        assert_error(member.get(url, HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


# Unhandled exceptions -------------------------------------------------------------


def test_an_unhandled_exception_is_a_json_500_without_the_traceback(
    member: APIClient, published_story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr("apps.api.views.StoryDetailSerializer.to_representation", broken)
    response = member.get(STORY)
    body = assert_error(response, 500, "server_error")
    assert "secret-internal-detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["fields"] == {}


def test_a_500_outside_the_api_is_still_the_site_page(
    client: Any, published_story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr("apps.web.views.browse.StoryDetailView.get_context_data", broken)
    client.raise_request_exception = False
    response = client.get("/stories/2020-acme-etcd-ran-out-of-space/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "secret-internal-detail" not in response.content.decode()
