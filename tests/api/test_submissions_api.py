"""Submissions and moderation by API, as a stranger, the submitter, another member, a
moderator and an admin: the whole flow, roles, If-Match, conflicts, validation, rate
limits, XSS and what stays private until approval."""

import datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog.models import Story, StoryStatus
from apps.core.models import AuditAction, AuditEntry
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import (
    submission_create,
    submission_reject,
    submission_request_changes,
)
from tests.api.conftest import client_for
from tests.submissions.conftest import make_payload, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_submission_limits")]

SUBMISSIONS = "/api/v1/submissions/"
ROLES = ("stranger", "submitter", "other", "moderator", "admin")


@pytest.fixture
def people(taxonomy: None) -> dict[str, User | None]:
    return {
        "stranger": None,
        "submitter": make_user("sam"),
        "other": make_user("olga"),
        "moderator": make_user("mona", "moderator"),
        "second_moderator": make_user("mike", "moderator"),
        "admin": make_user("ada", "admin"),
    }


@pytest.fixture
def clients(people: dict[str, User | None]) -> dict[str, APIClient]:
    return {name: client_for(user) for name, user in people.items()}


def submit(client: APIClient, body: dict[str, Any], **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(SUBMISSIONS, body, format="json", **extra)


def detail(submission_id: int) -> str:
    return f"{SUBMISSIONS}{submission_id}/"


def etag_of(client: APIClient, submission_id: int) -> str:
    response = client.get(detail(submission_id))
    assert response.status_code == 200
    return str(response["ETag"])


@pytest.fixture
def pending(clients: dict[str, APIClient]) -> dict[str, Any]:
    """A new story proposed by the submitter, as the create response returned it."""
    response = submit(clients["submitter"], make_payload())
    assert response.status_code == 201, response.json()
    return dict(response.json())


# --- the whole flow -------------------------------------------------------------------


def test_member_submits_moderator_approves_story_is_public(
    clients: dict[str, APIClient], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submitter, moderator, stranger = clients["submitter"], clients["moderator"], clients["stranger"]
    with django_capture_on_commit_callbacks(execute=True):
        created = submit(submitter, {**make_payload(), "note": "First one.", "email": "s@x.org"})
    assert created.status_code == 201
    body = created.json()
    submission = Submission.objects.get(pk=body["id"])
    assert body["kind"] == "new" and body["status"] == "pending" and body["story"] is None
    assert body["payload"]["title"] == "CoreDNS ran out of memory during a deploy"
    assert body["note"] == "First one."
    assert body["tracking_url"] == f"{settings.SITE_URL}/track/{submission.tracking_token}/"
    assert "flags" not in body and "diff" not in body and "email" not in body
    assert created["Location"].endswith(detail(submission.pk))
    assert submission.submitter is not None and submission.submitter.username == "sam"
    assert submission.client_key

    # Nothing public yet.
    assert stranger.get("/api/v1/stories/").json()["count"] == 0
    assert stranger.get("/api/v1/stories/?q=coredns").json()["count"] == 0

    queue = moderator.get(f"{SUBMISSIONS}?status=pending").json()
    assert [item["id"] for item in queue["results"]] == [submission.pk]
    listed = queue["results"][0]
    assert listed["flags"] == [] and listed["submitter"] == "sam"
    assert "tracking_url" not in listed and submission.tracking_token not in str(queue)

    review = moderator.get(detail(submission.pk))
    assert review.status_code == 200
    reviewed = review.json()
    assert "tracking_url" not in reviewed
    assert submission.tracking_token not in review.content.decode()
    assert reviewed["duplicates"] == [] and reviewed["story_version"] is None
    title = next(change for change in reviewed["diff"] if change["name"] == "title")
    assert title["changed"] is True
    assert title["lines"] == [{"op": "+", "text": "CoreDNS ran out of memory during a deploy"}]
    assert review["ETag"].startswith('"v1.')

    approved = moderator.post(
        f"{detail(submission.pk)}approve/",
        {"message": "Thanks!", "verified": "source"},
        format="json",
        HTTP_IF_MATCH=review["ETag"],
    )
    assert approved.status_code == 200, approved.json()
    result = approved.json()
    assert result["status"] == "approved" and result["moderator_message"] == "Thanks!"
    assert result["decided_by"] == "mona" and result["decided_at"]
    slug = "2021-example-corp-coredns-ran-out-of-memory-during-a-deploy"
    assert result["story"] == slug
    assert result["story_url"] == f"http://testserver/api/v1/stories/{slug}/"
    assert approved["ETag"].startswith('"v2.')

    listing = stranger.get("/api/v1/stories/").json()
    assert [item["slug"] for item in listing["results"]] == [slug]
    found = stranger.get("/api/v1/stories/?q=OOM-killed").json()
    assert [item["slug"] for item in found["results"]] == [slug]
    story = stranger.get(result["story_url"]).json()
    assert story["verified"] == "source"
    assert story["sources"] == [
        {"url": "https://blog.example.org/coredns-oom", "kind": "postmortem", "title": ""}
    ]

    mine = submitter.get(detail(submission.pk)).json()
    assert mine["status"] == "approved" and mine["moderator_message"] == "Thanks!"
    assert mine["tracking_url"] == body["tracking_url"]
    assert AuditEntry.objects.filter(submission_id=submission.pk).count() == 2
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        AuditAction.SUBMITTED,
        AuditAction.APPROVED,
    ]


def test_edit_proposal_shows_a_diff_and_applies_on_approval(
    clients: dict[str, APIClient], published_story: Story
) -> None:
    payload = make_payload(
        title="etcd ran out of space, twice",
        organization=published_story.organization.name,
        sources=[{"url": "https://blog.example.org/etcd-space", "kind": "blog-post"}],
        components=["dns"],
    )
    created = submit(clients["submitter"], {**payload, "story": published_story.slug})
    assert created.status_code == 201, created.json()
    assert created.json()["kind"] == "edit"
    assert created.json()["story"] == published_story.slug
    review = clients["moderator"].get(detail(created.json()["id"]))
    changes = {change["name"]: change for change in review.json()["diff"]}
    assert changes["title"]["changed"] is True
    assert {"op": "-", "text": "etcd ran out of space"} in changes["title"]["lines"]
    assert {"op": "+", "text": "etcd ran out of space, twice"} in changes["title"]["lines"]
    assert changes["organization"]["changed"] is False
    assert review.json()["story_version"] == published_story.version
    # Still the old story in public.
    public = clients["stranger"].get(f"/api/v1/stories/{published_story.slug}/").json()
    assert public["title"] == "etcd ran out of space"

    approved = clients["moderator"].post(
        f"{detail(created.json()['id'])}approve/", {}, format="json", HTTP_IF_MATCH=review["ETag"]
    )
    assert approved.status_code == 200, approved.json()
    public = clients["stranger"].get(f"/api/v1/stories/{published_story.slug}/").json()
    assert public["title"] == "etcd ran out of space, twice"


def test_edit_of_a_story_that_changed_meanwhile_is_a_conflict(
    clients: dict[str, APIClient], published_story: Story
) -> None:
    payload = make_payload(title="A better title", components=["dns"])
    created = submit(clients["submitter"], {**payload, "story": published_story.slug}).json()
    moderator = clients["moderator"]
    story_url = f"/api/v1/stories/{published_story.slug}/"
    patched = moderator.patch(
        story_url,
        {"summary": "Edited directly."},
        format="json",
        HTTP_IF_MATCH=moderator.get(story_url)["ETag"],
    )
    assert patched.status_code == 200
    review = moderator.get(detail(created["id"]))
    assert review.json()["story_version"] == published_story.version + 1
    stale = moderator.post(
        f"{detail(created['id'])}approve/", {}, format="json", HTTP_IF_MATCH=review["ETag"]
    )
    assert stale.status_code == 409
    assert stale.json()["error"] == "story_changed"
    assert "story changed" in stale.json()["detail"]
    assert Submission.objects.get(pk=created["id"]).status == SubmissionStatus.PENDING
    approved = moderator.post(
        f"{detail(created['id'])}approve/",
        {"story_version": review.json()["story_version"]},
        format="json",
        HTTP_IF_MATCH=review["ETag"],
    )
    assert approved.status_code == 200, approved.json()
    assert Story.objects.get(pk=published_story.pk).title == "A better title"


# --- roles ------------------------------------------------------------------------------


CREATE = {"stranger": 401, "submitter": 201, "other": 201, "moderator": 201, "admin": 201}
LIST = {"stranger": 401, "submitter": 403, "other": 403, "moderator": 200, "admin": 200}
READ = {"stranger": 401, "submitter": 200, "other": 404, "moderator": 200, "admin": 200}
DECIDE = {"stranger": 401, "submitter": 403, "other": 403, "moderator": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_submit(clients: dict[str, APIClient], role: str) -> None:
    response = submit(clients[role], make_payload())
    assert response.status_code == CREATE[role]
    if response.status_code == 201:
        assert "tracking_url" in response.json()
    else:
        assert response.json()["error"] == "not_authenticated"
        assert not Submission.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list(clients: dict[str, APIClient], pending: dict[str, Any], role: str) -> None:
    response = clients[role].get(SUBMISSIONS)
    assert response.status_code == LIST[role]
    if response.status_code == 200:
        assert [item["id"] for item in response.json()["results"]] == [pending["id"]]
    else:
        assert set(response.json()) == {"error", "detail", "fields"}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_one(
    clients: dict[str, APIClient], pending: dict[str, Any], role: str
) -> None:
    response = clients[role].get(detail(pending["id"]))
    assert response.status_code == READ[role]
    if role == "other":
        assert response.json() == {"error": "not_found", "detail": "Not found.", "fields": {}}
    if response.status_code != 200:
        return
    body = response.json()
    assert ("tracking_url" in body) is (role == "submitter")
    moderating = role in ("moderator", "admin")
    for key in ("flags", "submitter", "diff", "duplicates", "story_version"):
        assert (key in body) is moderating, key


def test_a_moderator_who_submitted_sees_the_tracking_url_only_in_their_own_read(
    clients: dict[str, APIClient], people: dict[str, Any]
) -> None:
    created = submit(clients["moderator"], make_payload())
    assert "tracking_url" in created.json()
    assert "tracking_url" in clients["moderator"].get(detail(created.json()["id"])).json()
    assert "tracking_url" not in clients["admin"].get(detail(created.json()["id"])).json()
    assert "tracking_url" not in str(clients["moderator"].get(SUBMISSIONS).json())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("verb", "body", "status"),
    [
        ("approve", {}, SubmissionStatus.APPROVED),
        ("reject", {"reason": "Not a Kubernetes failure."}, SubmissionStatus.REJECTED),
        ("request-changes", {"message": "Add a source."}, SubmissionStatus.CHANGES_REQUESTED),
    ],
)
def test_who_may_decide(
    clients: dict[str, APIClient],
    pending: dict[str, Any],
    role: str,
    verb: str,
    body: dict[str, str],
    status: str,
) -> None:
    etag = etag_of(clients["moderator"], pending["id"])
    response = clients[role].post(
        f"{detail(pending['id'])}{verb}/", body, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == DECIDE[role], response.json()
    stored = Submission.objects.get(pk=pending["id"])
    if response.status_code == 200:
        assert response.json()["status"] == status == stored.status
        assert "tracking_url" not in response.json()
        assert stored.decided_by is not None and stored.decided_by.username in ("mona", "ada")
    else:
        assert stored.status == SubmissionStatus.PENDING
        assert not AuditEntry.objects.exclude(action=AuditAction.SUBMITTED).exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_retract_a_story(
    clients: dict[str, APIClient], published_story: Story, role: str
) -> None:
    url = f"/api/v1/stories/{published_story.slug}/"
    etag = clients["moderator"].get(url)["ETag"]
    response = clients[role].post(
        f"{url}retract/",
        {"reason": "The source was withdrawn."},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == DECIDE[role]
    retracted = Story.objects.get(pk=published_story.pk).status == StoryStatus.RETRACTED
    assert retracted is (response.status_code == 200)


def test_no_other_methods(clients: dict[str, APIClient], pending: dict[str, Any]) -> None:
    moderator = clients["moderator"]
    assert moderator.delete(detail(pending["id"])).status_code == 405
    assert moderator.patch(detail(pending["id"]), {}, format="json").status_code == 405
    assert moderator.get(f"{detail(pending['id'])}approve/").status_code == 405
    assert moderator.get(detail(999999)).status_code == 404
    assert moderator.get(f"{SUBMISSIONS}abc/").json()["error"] == "not_found"
    assert clients["stranger"].delete(detail(pending["id"])).status_code == 401


# --- If-Match and conflicts ---------------------------------------------------------------


def test_decisions_need_if_match(clients: dict[str, APIClient], pending: dict[str, Any]) -> None:
    url = f"{detail(pending['id'])}approve/"
    moderator = clients["moderator"]
    missing = moderator.post(url, {}, format="json")
    assert missing.status_code == 428
    assert missing.json()["error"] == "precondition_required"
    wrong = moderator.post(url, {}, format="json", HTTP_IF_MATCH='"v7.abc"')
    assert wrong.status_code == 412
    assert wrong.json()["error"] == "precondition_failed"
    assert moderator.post(url, {}, format="json", HTTP_IF_MATCH="*").status_code == 412
    assert Submission.objects.get(pk=pending["id"]).status == SubmissionStatus.PENDING


def test_any_etag_of_the_current_version_is_accepted(clients: dict[str, APIClient]) -> None:
    # The submitter's ETag differs from a moderator's (they see different keys), but both
    # name the same version of the submission.
    created = submit(clients["submitter"], make_payload())
    submitter_etag = created["ETag"]
    assert submitter_etag.startswith('"v1.')
    assert submitter_etag != etag_of(clients["moderator"], created.json()["id"])
    response = clients["moderator"].post(
        f"{detail(created.json()['id'])}reject/",
        {"reason": "Spam."},
        format="json",
        HTTP_IF_MATCH=f'"other", W/{submitter_etag}',
    )
    assert response.status_code == 200


def test_two_moderators_exactly_one_wins(
    clients: dict[str, APIClient], pending: dict[str, Any]
) -> None:
    first, second = clients["moderator"], clients["second_moderator"]
    url = detail(pending["id"])
    seen_first, seen_second = etag_of(first, pending["id"]), etag_of(second, pending["id"])
    assert seen_first == seen_second
    won = first.post(
        f"{url}reject/", {"reason": "Duplicate."}, format="json", HTTP_IF_MATCH=seen_first
    )
    assert won.status_code == 200
    lost = second.post(f"{url}approve/", {}, format="json", HTTP_IF_MATCH=seen_second)
    assert lost.status_code == 412
    # Reading it again shows the rejection; approving a rejected submission is a conflict.
    fresh = second.get(url)
    assert fresh.json()["status"] == "rejected"
    again = second.post(f"{url}approve/", {}, format="json", HTTP_IF_MATCH=fresh["ETag"])
    assert again.status_code == 409
    assert again.json()["error"] == "submission_status"
    assert "Rejected" in again.json()["detail"] and "cannot be approved" in again.json()["detail"]
    assert not Story.objects.exists()
    stored = Submission.objects.get(pk=pending["id"])
    assert stored.status == SubmissionStatus.REJECTED and stored.moderator_message == "Duplicate."


def test_changes_requested_cannot_be_approved_until_revised(
    clients: dict[str, APIClient], pending: dict[str, Any]
) -> None:
    moderator = clients["moderator"]
    url = detail(pending["id"])
    asked = moderator.post(
        f"{url}request-changes/",
        {"message": "Which year?"},
        format="json",
        HTTP_IF_MATCH=etag_of(moderator, pending["id"]),
    )
    assert asked.status_code == 200
    assert asked.json()["moderator_message"] == "Which year?"
    assert clients["submitter"].get(url).json()["status"] == "changes_requested"
    blocked = moderator.post(f"{url}approve/", {}, format="json", HTTP_IF_MATCH=asked["ETag"])
    assert blocked.status_code == 409
    rejected = moderator.post(
        f"{url}reject/", {"reason": "No answer."}, format="json", HTTP_IF_MATCH=asked["ETag"]
    )
    assert rejected.status_code == 200


def test_retract_needs_the_story_etag_and_a_reason(
    clients: dict[str, APIClient], published_story: Story
) -> None:
    moderator, stranger = clients["moderator"], clients["stranger"]
    url = f"/api/v1/stories/{published_story.slug}/"
    reason = {"reason": "The source was withdrawn."}
    assert moderator.post(f"{url}retract/", reason, format="json").status_code == 428
    etag = moderator.get(url)["ETag"]
    missing = moderator.post(f"{url}retract/", {}, format="json", HTTP_IF_MATCH=etag)
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    done = moderator.post(f"{url}retract/", reason, format="json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200
    assert done.json()["version"] == published_story.version + 1
    assert stranger.get(url).status_code == 404
    assert (
        moderator.post(f"{url}retract/", reason, format="json", HTTP_IF_MATCH=etag).status_code
        == 412
    )
    again = moderator.post(f"{url}retract/", reason, format="json", HTTP_IF_MATCH=done["ETag"])
    assert again.status_code == 409
    assert again.json()["error"] == "story_not_public"
    assert "Only a published story" in again.json()["detail"]
    entry = AuditEntry.objects.get(action=AuditAction.RETRACTED)
    assert entry.message == "The source was withdrawn." and entry.story_id == published_story.pk
    assert entry.actor_name == "mona"


def test_retract_racing_another_edit_is_a_412(
    clients: dict[str, APIClient], published_story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.api import views
    from apps.catalog.exceptions import StoryVersionConflict

    def edited_meanwhile(*, story: Story, **kwargs: Any) -> Story:
        Story.objects.filter(pk=story.pk).update(version=story.version + 1)
        raise StoryVersionConflict(story.slug)

    monkeypatch.setattr(views, "story_retract", edited_meanwhile)
    moderator = clients["moderator"]
    url = f"/api/v1/stories/{published_story.slug}/"
    response = moderator.post(
        f"{url}retract/",
        {"reason": "Withdrawn."},
        format="json",
        HTTP_IF_MATCH=moderator.get(url)["ETag"],
    )
    assert response.status_code == 412


def test_story_patch_is_logged(clients: dict[str, APIClient], published_story: Story) -> None:
    moderator = clients["moderator"]
    url = f"/api/v1/stories/{published_story.slug}/"
    response = moderator.patch(
        url, {"title": "Renamed"}, format="json", HTTP_IF_MATCH=moderator.get(url)["ETag"]
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditAction.STORY_EDITED)
    assert entry.actor_name == "mona" and entry.story_slug == published_story.slug
    assert entry.before["title"] == "etcd ran out of space" and entry.after["title"] == "Renamed"


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"sources": [{"url": "not a url", "kind": "postmortem"}]}, {"sources[0].url"}),
        ({"sources": [{"url": "javascript:alert(1)", "kind": "blog-post"}]}, {"sources[0].url"}),
        (
            {
                "sources": [
                    {"url": "https://a.example.org/x", "kind": "postmortem"},
                    {"url": "https://a.example.org/y", "kind": "tweet"},
                ]
            },
            {"sources[1].kind"},
        ),
        ({"components": ["nope"], "date": "2999"}, {"components", "date"}),
        ({"title": ""}, {"title"}),
        ({"summary": "x" * 20_001}, {"summary"}),
        ({"upstream": [{"url": "https://example.org/not-a-tracker"}]}, {"upstream[0]"}),
        ({"status": "approved"}, {"status"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"story": "no-such-story"}, {"story"}),
        ({"note": "n" * 2001}, {"note"}),
        ({"title": "a\x00b", "note": "c\x00d"}, {"title", "note"}),
    ],
)
def test_invalid_submissions_name_the_json_path(
    clients: dict[str, APIClient], changes: dict[str, Any], fields: set[str]
) -> None:
    body = {**make_payload(), **changes}
    response = submit(clients["submitter"], body)
    assert response.status_code == 400, response.json()
    assert response.json()["error"] == "invalid"
    assert set(response.json()["fields"]) == fields
    assert not Submission.objects.exists()


def test_body_must_be_a_json_object(clients: dict[str, APIClient]) -> None:
    member = clients["submitter"]
    listed = member.post(SUBMISSIONS, [make_payload()], format="json")
    assert listed.status_code == 400 and "JSON object" in listed.json()["detail"]
    form = member.post(SUBMISSIONS, {"title": "x"})
    assert form.status_code == 415
    assert form.json()["error"] == "unsupported_media_type"


def test_decision_bodies_are_checked(
    clients: dict[str, APIClient], pending: dict[str, Any]
) -> None:
    moderator = clients["moderator"]
    url = detail(pending["id"])
    etag = etag_of(moderator, pending["id"])
    for verb, body, field in [
        ("reject", {}, "reason"),
        ("reject", {"reason": "   "}, "reason"),
        ("request-changes", {"message": ""}, "message"),
        ("approve", {"verified": "maybe"}, "verified"),
        ("approve", {"story_version": 0}, "story_version"),
        ("approve", {"message": "m" * 5001}, "message"),
    ]:
        response = moderator.post(f"{url}{verb}/", body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 400, (verb, body)
        assert field in response.json()["fields"], (verb, body)
    assert Submission.objects.get(pk=pending["id"]).version == 1


def test_a_source_of_a_published_story_must_be_sent_as_an_edit(
    clients: dict[str, APIClient], published_story: Story
) -> None:
    taken = published_story.sources.get().url
    body = make_payload(
        sources=[
            {"url": "https://blog.example.org/fresh", "kind": "postmortem"},
            {"url": taken.replace("https://", "HTTPS://") + "#section", "kind": "blog-post"},
        ]
    )
    refused = submit(clients["submitter"], body)
    assert refused.status_code == 400
    messages = refused.json()["fields"]["sources[1].url"]
    assert published_story.slug in messages[0] and "edit of that story" in messages[0]
    as_edit = submit(clients["submitter"], {**body, "story": published_story.slug})
    assert as_edit.status_code == 201, as_edit.json()
    assert as_edit.json()["kind"] == "edit"


def test_moderators_see_duplicates_of_open_submissions_and_hidden_stories(
    clients: dict[str, APIClient], pending: dict[str, Any], published_story: Story
) -> None:
    Story.objects.filter(pk=published_story.pk).update(status=StoryStatus.DRAFT)
    hidden = published_story.sources.get().url
    url = make_payload()["sources"][0]["url"]
    second = submit(
        clients["other"],
        make_payload(
            sources=[
                {"url": url, "kind": "postmortem"},
                {"url": hidden, "kind": "blog-post"},
            ]
        ),
    )
    assert second.status_code == 201, second.json()
    assert "duplicates" not in second.json()
    duplicates = clients["moderator"].get(detail(second.json()["id"])).json()["duplicates"]
    by_url = {d["url"]: d for d in duplicates}
    assert by_url[url]["submission"] == pending["id"] and by_url[url]["story"] is None
    assert by_url[hidden]["story"] == published_story.slug
    assert by_url[hidden]["story_status"] == "draft"


# --- rate limits --------------------------------------------------------------------------


def test_per_user_limit_answers_429_with_retry_after(
    clients: dict[str, APIClient], settings: Any
) -> None:
    settings.SUBMISSION_RATE_PER_USER = "2/hour"
    member = clients["submitter"]
    bodies = [
        make_payload(sources=[{"url": f"https://blog.example.org/{n}", "kind": "postmortem"}])
        for n in range(3)
    ]
    # Invalid bodies are not counted.
    assert submit(member, make_payload(components=["nope"])).status_code == 400
    statuses = [submit(member, body).status_code for body in bodies]
    assert statuses == [201, 201, 429]
    limited = submit(member, bodies[2])
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 3600
    body = limited.json()
    assert body["error"] == "throttled"
    assert 0 < body["retry_after"] <= 3600 and body["fields"] == {}
    assert Submission.objects.count() == 2
    # Another member on another address is not limited by this member's count.
    other = submit(clients["other"], bodies[2], REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 201


def test_per_address_limit_counts_every_account(
    clients: dict[str, APIClient], settings: Any
) -> None:
    settings.SUBMISSION_RATE_PER_IP = "1/hour"
    first = submit(clients["submitter"], make_payload(), REMOTE_ADDR="10.0.0.9")
    assert first.status_code == 201
    second = submit(
        clients["other"],
        make_payload(sources=[{"url": "https://blog.example.org/2", "kind": "postmortem"}]),
        REMOTE_ADDR="10.0.0.9",
    )
    assert second.status_code == 429
    assert int(second["Retry-After"]) > 0


def test_text_full_of_links_is_flagged_not_dropped(clients: dict[str, APIClient]) -> None:
    spam = " ".join(f"https://spam.example/{n}" for n in range(11))
    created = submit(clients["submitter"], {**make_payload(summary=spam), "note": "buy"})
    assert created.status_code == 201
    assert "flags" not in created.json()
    flagged = clients["moderator"].get(f"{SUBMISSIONS}?flagged=true").json()
    assert [item["id"] for item in flagged["results"]] == [created.json()["id"]]
    assert "11 links" in flagged["results"][0]["flags"][0]
    assert clients["moderator"].get(f"{SUBMISSIONS}?flagged=false").json()["count"] == 0


# --- XSS ------------------------------------------------------------------------------------


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The tags and attributes an HTML fragment really holds (escaped text is not a tag)."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_markup_in_every_field_comes_back_as_plain_json_and_is_sanitized_when_published(
    clients: dict[str, APIClient],
) -> None:
    body = make_payload(
        title=f"Title {SCRIPT}",
        organization=f"Org {SCRIPT}",
        sources=[
            {
                "url": "https://blog.example.org/x?q=<script>",
                "kind": "postmortem",
                "title": f"Source {SCRIPT}",
            }
        ],
        upstream=[{"url": "https://github.com/coredns/coredns/issues/1", "note": SCRIPT}],
        mitigations=[{"slug": "node-local-dns", "note": SCRIPT}],
        summary=f'{SCRIPT}\n\n[click](javascript:alert(1)) <a href="javascript:alert(2)">a</a>',
    )
    created = submit(clients["submitter"], {**body, "note": SCRIPT})
    assert created.status_code == 201, created.json()
    assert created["Content-Type"] == "application/json"
    payload = created.json()["payload"]
    assert payload["title"] == f"Title {SCRIPT}"
    assert payload["sources"][0]["title"] == f"Source {SCRIPT}"
    assert payload["upstream"][0]["note"] == SCRIPT
    assert payload["mitigations"][0]["note"] == SCRIPT
    assert payload["summary"].startswith(SCRIPT)
    assert created.json()["note"] == SCRIPT
    assert "summary_html" not in created.json()

    moderator = clients["moderator"]
    review = moderator.get(detail(created.json()["id"]))
    assert "summary_html" not in review.json() and review["Content-Type"] == "application/json"
    approved = moderator.post(
        f"{detail(created.json()['id'])}approve/",
        {},
        format="json",
        HTTP_IF_MATCH=review["ETag"],
    )
    assert approved.status_code == 200, approved.json()
    story = clients["stranger"].get(approved.json()["story_url"]).json()
    assert story["title"] == f"Title {SCRIPT}"
    html = story["summary_html"]
    tags = elements(html)
    assert {tag for tag, _ in tags} <= {"p", "a"}, tags
    for _, attributes in tags:
        for name, value in attributes:
            assert not name.startswith("on") and "javascript" not in (value or ""), tags
    assert "&lt;script&gt;" in html


# --- nothing unapproved is public ---------------------------------------------------------


def test_nothing_pending_appears_in_public_lists_or_counts(
    clients: dict[str, APIClient], people: dict[str, Any], published_story: Story
) -> None:
    secret = make_payload(
        title="Zebra secret outage",
        organization="Pending Org",
        sources=[{"url": "https://blog.example.org/zebra", "kind": "postmortem"}],
        upstream=[{"url": "https://github.com/kubernetes/kubernetes/issues/424242"}],
        summary="Zebra marker text.",
    )
    new = submit(clients["submitter"], secret).json()
    edit = submit(
        clients["other"],
        {
            **make_payload(title="Zebra renamed", components=["coredns"]),
            "story": published_story.slug,
        },
    ).json()
    asked = submission_create(
        payload=make_payload(
            title="Zebra asked",
            sources=[{"url": "https://blog.example.org/asked", "kind": "postmortem"}],
        )
    )
    submission_request_changes(
        submission=asked, moderator=people["moderator"], expected_version=1, message="More."
    )
    rejected = submission_create(
        payload=make_payload(
            title="Zebra rejected",
            sources=[{"url": "https://blog.example.org/rejected", "kind": "postmortem"}],
        )
    )
    submission_reject(
        submission=rejected, moderator=people["moderator"], expected_version=1, reason="No."
    )
    assert new["status"] == edit["status"] == "pending"
    for client in (clients["stranger"], clients["submitter"], clients["moderator"]):
        for url in [
            "/api/v1/stories/?page_size=100",
            "/api/v1/stories/?q=zebra",
            "/api/v1/stories/?organization=pending-org",
            f"/api/v1/stories/{published_story.slug}/",
            "/api/v1/components/?page_size=100",
            "/api/v1/mitigations/",
            "/api/v1/organizations/",
            "/api/v1/upstream-issues/",
        ]:
            response = client.get(url)
            assert response.status_code in (200, 400), url
            text = response.content.decode()
            assert "Zebra" not in text and "zebra" not in text, url
            assert "Pending Org" not in text and "424242" not in text, url
        components = {
            c["slug"]: c["story_count"] for c in client.get("/api/v1/components/").json()["results"]
        }
        assert components == {"dns": 1, "coredns": 0}
        assert client.get("/api/v1/mitigations/node-local-dns/").json()["story_count"] == 0
        assert client.get("/api/v1/stories/").json()["count"] == 1


# --- list filters, conditional GET, query budget, schema ----------------------------------


def test_list_filters(clients: dict[str, APIClient], people: dict[str, Any]) -> None:
    moderator = clients["moderator"]
    first = submission_create(payload=make_payload(), flags=["Odd."])
    second = submission_create(
        payload=make_payload(sources=[{"url": "https://blog.example.org/2", "kind": "postmortem"}])
    )
    submission_reject(
        submission=second, moderator=people["moderator"], expected_version=1, reason="No."
    )

    def ids(query: str) -> list[int]:
        response = moderator.get(f"{SUBMISSIONS}?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids("") == [second.pk, first.pk]
    assert ids("status=pending") == [first.pk]
    assert ids("status=pending&status=rejected") == [second.pk, first.pk]
    assert ids("kind=new") == [second.pk, first.pk]
    assert ids("kind=edit") == []
    assert ids("flagged=true") == [first.pk]
    assert ids("flagged=false") == [second.pk]
    for query, field in [
        ("status=open", "status"),
        ("kind=", "kind"),
        ("flagged=maybe", "flagged"),
        ("flagged=", "flagged"),
        ("page_size=500", "page_size"),
        ("status=%00", "status"),
    ]:
        response = moderator.get(f"{SUBMISSIONS}?{query}")
        assert response.status_code == 400, query
        assert field in response.json()["fields"], query


def test_conditional_get_of_a_submission(
    clients: dict[str, APIClient], pending: dict[str, Any], people: dict[str, Any]
) -> None:
    moderator = clients["moderator"]
    first = moderator.get(detail(pending["id"]))
    assert moderator.get(detail(pending["id"]), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    submission_request_changes(
        submission=Submission.objects.get(pk=pending["id"]),
        moderator=people["moderator"],
        expected_version=1,
        message="More detail.",
    )
    changed = moderator.get(detail(pending["id"]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"].startswith('"v2.')


def _count(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "?status=pending&flagged=false", "?kind=edit"])
def test_list_query_count_is_constant(
    clients: dict[str, APIClient], people: dict[str, Any], published_story: Story, query: str
) -> None:
    def add(number: int) -> None:
        payload = make_payload(
            sources=[{"url": f"https://blog.example.org/{number}", "kind": "postmortem"}]
        )
        submitter = make_user(f"user{number}")
        submission_create(
            payload=payload, submitter=submitter, story=published_story, flags=["Odd."]
        )
        other = submission_create(payload={**payload, "date": "2020"}, email=f"{number}@x.org")
        submission_reject(
            submission=other, moderator=people["moderator"], expected_version=1, reason="No."
        )

    add(0)
    few = _count(clients["moderator"], f"{SUBMISSIONS}{query}")
    for number in range(1, 8):
        add(number)
    assert _count(clients["moderator"], f"{SUBMISSIONS}{query}") == few


def test_schema_documents_submissions(clients: dict[str, APIClient]) -> None:
    schema = clients["stranger"].get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert {"401", "403", "429"} <= set(paths["/api/v1/submissions/"]["get"]["responses"])
    assert {} not in paths["/api/v1/submissions/"]["get"]["security"]
    assert {} not in paths["/api/v1/submissions/{id}/"]["get"]["security"]
    assert {} in paths["/api/v1/stories/"]["get"]["security"]
    create = paths["/api/v1/submissions/"]["post"]
    assert "201" in create["responses"] and "429" in create["responses"]
    for verb in ("approve", "reject", "request-changes"):
        operation = paths[f"/api/v1/submissions/{{id}}/{verb}/"]["post"]
        assert {"400", "401", "403", "404", "409", "412", "428"} <= set(operation["responses"])
        assert any(p["name"] == "If-Match" and p["required"] for p in operation["parameters"])
    retract = paths["/api/v1/stories/{slug}/retract/"]["post"]
    assert {"409", "412", "428"} <= set(retract["responses"])
    submission = schema["components"]["schemas"]["Submission"]
    assert "tracking_url" in submission["properties"]
    assert "tracking_url" not in submission["required"]
    assert "x-authentication-required" not in str(schema)


def test_the_guide_explains_submitting_and_moderating(client: Any) -> None:
    html = client.get("/api/").content.decode()
    assert "Submitting and moderating" in html and "If-Match" in html
    assert "/api/v1/submissions/ID/approve/" in html


def test_dates_in_the_future_are_refused(clients: dict[str, APIClient]) -> None:
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    response = submit(clients["submitter"], make_payload(date=tomorrow.isoformat()))
    assert response.status_code == 400 and "date" in response.json()["fields"]
