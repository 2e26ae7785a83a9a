"""Moderation pages: who may use them, the queue, the review page, decisions and retraction."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.links import canonicalize_url
from apps.catalog.models import Story
from apps.catalog.services import StoryChanges, story_edit
from apps.core.models import AuditEntry
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import (
    submission_approve,
    submission_create,
    submission_reject,
)
from tests.factories import SourceFactory, StoryFactory
from tests.submissions.conftest import fresh, make_payload, make_user
from tests.submissions.webforms import XSS, assert_no_live_markup, submit_ok, text, xss_payload

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_submission(number: int = 0, **kwargs: Any) -> Submission:
    payload = make_payload(
        title=f"Story {number}: CoreDNS ran out of memory",
        sources=[{"url": f"https://blog.example.org/post-{number}", "kind": "postmortem"}],
    )
    return submission_create(payload=payload, **kwargs)


def moderation_requests(submission: Submission, story: Story) -> list[tuple[str, str, Any]]:
    """Every moderation page and action, as (method, url, data)."""
    review = submission.get_review_url()
    retract = reverse("submissions:retract", kwargs={"slug": story.slug})
    version = str(submission.version)
    return [
        ("get", reverse("submissions:queue"), None),
        ("get", reverse("submissions:queue") + "?status=all&flagged=1", None),
        ("get", review, None),
        ("post", review, {"action": "approve", "version": version}),
        ("post", review, {"action": "reject", "version": version, "reason": "No."}),
        ("post", review, {"action": "request_changes", "version": version, "message": "More."}),
        ("get", retract, None),
        ("post", retract, {"version": str(story.version), "reason": "Wrong."}),
    ]


def assert_nothing_changed(submission: Submission, story: Story) -> None:
    assert fresh(submission).status == SubmissionStatus.PENDING
    assert fresh(submission).version == submission.version
    assert Story.objects.get(pk=story.pk).status == Story.Status.PUBLISHED
    assert Story.objects.count() == 1


# --- who may moderate ----------------------------------------------------------------------


def test_strangers_are_sent_to_log_in(client: Client, published_story: Story) -> None:
    submission = new_submission()
    for method, url, data in moderation_requests(submission, published_story):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/accounts/login/?next=/moderation/")
    assert_nothing_changed(submission, published_story)


def test_members_without_the_role_get_403(member: User, published_story: Story) -> None:
    submission = new_submission(submitter=member)
    client = logged_in(member)
    for method, url, data in moderation_requests(submission, published_story):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
        assert "You cannot open this page" in text(response)
    assert_nothing_changed(submission, published_story)


def test_a_submitter_with_the_tracking_url_cannot_moderate(
    client: Client, published_story: Story
) -> None:
    submission = submit_ok(client)
    assert client.get(submission.get_tracking_url()).status_code == 200
    for method, url, data in moderation_requests(submission, published_story):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/accounts/login/")
    # The tracking page itself offers no way to decide.
    html = text(client.get(submission.get_tracking_url()))
    assert 'name="action"' not in html
    assert_nothing_changed(submission, published_story)


@pytest.mark.parametrize("group", ["moderator", "admin"])
def test_moderators_and_admins_may_do_everything(published_story: Story, group: str) -> None:
    client = logged_in(make_user(f"user-{group}", group))
    submissions = [new_submission(number) for number in range(3)]
    for method, url, _ in moderation_requests(submissions[0], published_story):
        if method == "get":
            assert client.get(url).status_code == 200, url
    actions = [
        {"action": "approve", "version": "1"},
        {"action": "reject", "version": "1", "reason": "Not a failure."},
        {"action": "request_changes", "version": "1", "message": "Add a source."},
    ]
    for submission, data in zip(submissions, actions, strict=True):
        response = client.post(submission.get_review_url(), data)
        assert response.status_code == 302
        assert response["Location"] == submission.get_review_url()
    statuses = [fresh(s).status for s in submissions]
    assert statuses == ["approved", "rejected", "changes_requested"]
    retract = reverse("submissions:retract", kwargs={"slug": published_story.slug})
    response = client.post(retract, {"version": str(published_story.version), "reason": "Wrong."})
    assert response.status_code == 302
    assert Story.objects.get(pk=published_story.pk).status == Story.Status.RETRACTED


# --- the queue --------------------------------------------------------------------------


@pytest.fixture
def mixed_queue(taxonomy: None, moderator: User, published_story: Story) -> dict[str, Submission]:
    rows = {
        "pending": new_submission(1),
        "flagged": new_submission(2, flags=["The hidden field was filled in."]),
        "edit": submission_create(
            payload=make_payload(
                title="Edit: etcd filled its disk",
                sources=[{"url": "https://blog.example.org/edit", "kind": "postmortem"}],
            ),
            story=published_story,
        ),
        "rejected": new_submission(3),
        "approved": new_submission(4),
    }
    submission_reject(
        submission=rows["rejected"], moderator=moderator, expected_version=1, reason="No."
    )
    submission_approve(submission=rows["approved"], moderator=moderator, expected_version=1)
    return rows


def queue_titles(client: Client, query: str = "") -> list[str]:
    html = text(client.get(reverse("submissions:queue") + query))
    return re.findall(r'<th scope="row"><a href="/moderation/\d+/">([^<]*)</a>', html)


def test_queue_shows_pending_by_default_with_counts(
    moderator: User, mixed_queue: dict[str, Submission]
) -> None:
    client = logged_in(moderator)
    assert sorted(queue_titles(client)) == [
        "Edit: etcd filled its disk",
        "Story 1: CoreDNS ran out of memory",
        "Story 2: CoreDNS ran out of memory",
    ]
    html = text(client.get(reverse("submissions:queue")))
    assert re.search(r'aria-current="page">Waiting for review <span class="count">3</span>', html)
    assert re.search(r">All <span class=\"count\">5</span>", html)
    assert re.search(r">Rejected <span class=\"count\">1</span>", html)
    assert re.search(r">Flagged only <span class=\"count\">1</span>", html)
    assert "flagged (1)" in html
    assert 'Moderation <span class="count">(3 pending)</span>' in html


def test_queue_filters(moderator: User, mixed_queue: dict[str, Submission]) -> None:
    client = logged_in(moderator)
    assert queue_titles(client, "?flagged=1") == ["Story 2: CoreDNS ran out of memory"]
    assert queue_titles(client, "?kind=edit") == ["Edit: etcd filled its disk"]
    assert queue_titles(client, "?status=rejected") == ["Story 3: CoreDNS ran out of memory"]
    assert len(queue_titles(client, "?status=all")) == 5
    assert queue_titles(client, "?status=all&q=story 4") == ["Story 4: CoreDNS ran out of memory"]
    assert queue_titles(client, "?status=nonsense") == queue_titles(client)


def test_honeypot_submissions_show_up_under_flagged(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submit_ok(client, website="http://spam.example.com")
    html = text(logged_in(moderator).get(reverse("submissions:queue") + "?flagged=1"))
    assert "CoreDNS ran out of memory during a deploy" in html
    assert "The hidden field that people cannot see was filled in." in html


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queue_query_count_is_constant(
    moderator: User, taxonomy: None, member: User, django_assert_max_num_queries: Any
) -> None:
    client = logged_in(moderator)
    for number in range(3):
        new_submission(number, submitter=member, email="a@example.org")
    url = reverse("submissions:queue") + "?status=all"
    few = _queries(client, url)
    for number in range(3, 25):
        new_submission(number, submitter=member, flags=["x"])
    assert _queries(client, url) == few
    with django_assert_max_num_queries(10):
        client.get(url)


def test_queue_pages_keep_the_filters(moderator: User, taxonomy: None, member: User) -> None:
    for number in range(27):
        new_submission(number, submitter=member)
    client = logged_in(moderator)
    first = text(client.get(reverse("submissions:queue") + "?status=all&kind=new"))
    assert 'rel="next" href="?status=all&amp;kind=new&amp;page=2"' in first
    assert 'rel="prev"' not in first
    second = text(client.get(reverse("submissions:queue") + "?status=all&kind=new&page=2"))
    assert 'rel="prev" href="?status=all&amp;kind=new&amp;page=1"' in second
    assert 'rel="next"' not in second


# --- the review page ----------------------------------------------------------------------


def test_review_page_shows_preview_diff_duplicates_and_history(
    moderator: User, taxonomy: None
) -> None:
    first = submission_create(payload=make_payload(), client_key="same-network")
    submission = submission_create(
        payload=make_payload(title="The same story again"),
        client_key="same-network",
        email="me@example.org",
        note="Please add.",
        flags=["Sent 1 s after the form was opened (minimum 5 s)."],
    )
    html = text(logged_in(moderator).get(submission.get_review_url()))
    assert "<strong>OOM-killed</strong>" in html  # rendered summary
    assert "Networking \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} CoreDNS" in html
    assert "A new story: every field is an addition." in html
    assert 'class="diff-line diff-add"' in html
    assert "Sent 1 s after the form was opened" in html
    assert f'href="{first.get_review_url()}">submission #{first.pk}</a>' in html  # duplicate
    assert f'href="{first.get_review_url()}">#{first.pk} CoreDNS' in html  # same sender
    assert "anonymous submitter: submitted" in html or "submitter (with email): submitted" in html
    assert "Please add." in html
    assert submission.tracking_token not in html
    assert first.tracking_token not in html


def test_edit_is_compared_with_the_current_story(
    moderator: User, published_story: Story, second_moderator: User
) -> None:
    source = published_story.sources.get()
    payload = make_payload(
        title="etcd ran out of disk space",
        organization=published_story.organization.name,
        date="2020-05",
        sources=[{"url": source.url, "kind": source.kind}],
        components=["dns"],
    )
    submission = submission_create(payload=payload, story=published_story)
    client = logged_in(moderator)
    html = text(client.get(submission.get_review_url()))
    assert "Compared with the story as it is now." in html
    assert "The story changed since" not in html
    assert '<span class="diff-text">etcd ran out of space</span>' in html
    assert '<span class="diff-text">etcd ran out of disk space</span>' in html
    assert "under review" not in html and "No source URL matches" in html
    stale_story_version = str(published_story.version)

    # Someone edits the story meanwhile: the page says so and compares with the new text.
    story_edit(
        story=published_story,
        editor=second_moderator,
        expected_version=published_story.version,
        changes=StoryChanges(title="etcd ran out of quota"),
    )
    html = text(client.get(submission.get_review_url()))
    assert "The story changed since this edit was proposed" in html
    assert '<span class="diff-text">etcd ran out of quota</span>' in html
    story_version = re.search(r'name="story_version" value="(\d+)"', html)
    assert story_version is not None and story_version[1] != stale_story_version

    # Approving against the diff made before that edit is a conflict.
    response = client.post(
        submission.get_review_url(),
        {"action": "approve", "version": "1", "story_version": stale_story_version},
    )
    assert response.status_code == 409
    assert "The story changed since the diff you reviewed" in text(response)
    assert fresh(submission).status == SubmissionStatus.PENDING

    response = client.post(
        submission.get_review_url(),
        {"action": "approve", "version": "1", "story_version": story_version[1]},
    )
    assert response.status_code == 302
    assert Story.objects.get(pk=published_story.pk).title == "etcd ran out of disk space"


def test_review_query_count_is_constant(
    moderator: User, taxonomy: None, django_assert_max_num_queries: Any
) -> None:
    client = logged_in(moderator)
    submission = new_submission(0, client_key="net")
    url = submission.get_review_url()
    few = _queries(client, url)
    for number in range(1, 15):
        new_submission(number, client_key="net")
    # More earlier submissions, sources and log entries: still the same number of queries.
    assert _queries(client, url) == few
    with django_assert_max_num_queries(16):
        client.get(url)


# --- decisions ----------------------------------------------------------------------------


def test_approve_publishes_the_story_everywhere(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    moderation = logged_in(moderator)
    response = moderation.post(
        submission.get_review_url(),
        {"action": "approve", "version": "1", "verified": "listing", "message": "Thanks!"},
    )
    assert response.status_code == 302
    story = Story.objects.get()
    assert story.status == Story.Status.PUBLISHED
    assert story.verification == "listing"
    assert "Approved and published." in text(moderation.get(response["Location"]))
    assert client.get(story.get_absolute_url()).status_code == 200
    assert story.title in text(client.get(reverse("web:story-list")))
    found = text(client.get(reverse("web:story-list"), {"q": "deploy"}))
    assert f'href="{story.get_absolute_url()}"' in found
    tracking = text(client.get(submission.get_tracking_url()))
    assert "Thanks!" in tracking and "Approved" in tracking


def test_reject_needs_a_reason_that_the_submitter_reads(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    moderation = logged_in(moderator)
    response = moderation.post(
        submission.get_review_url(), {"action": "reject", "version": "1", "reason": ""}
    )
    assert response.status_code == 400
    assert 'id="reject-reason_error"' in text(response)
    assert fresh(submission).status == SubmissionStatus.PENDING
    response = moderation.post(
        submission.get_review_url(),
        {"action": "reject", "version": "1", "reason": "Not about Kubernetes."},
    )
    assert response.status_code == 302
    assert "Not about Kubernetes." in text(client.get(submission.get_tracking_url()))


def test_request_changes_reaches_the_submitter(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    response = logged_in(moderator).post(
        submission.get_review_url(),
        {"action": "request_changes", "version": "1", "message": "Which year was it?"},
    )
    assert response.status_code == 302
    html = text(client.get(submission.get_tracking_url()))
    assert "Which year was it?" in html
    assert "Revise your submission" in html


def test_two_stale_forms_one_wins_the_other_gets_409(
    taxonomy: None, moderator: User, second_moderator: User
) -> None:
    submission = new_submission()
    first, second = logged_in(moderator), logged_in(second_moderator)
    # Both opened the page at version 1.
    assert 'name="version" value="1"' in text(first.get(submission.get_review_url()))
    assert 'name="version" value="1"' in text(second.get(submission.get_review_url()))
    response = first.post(
        submission.get_review_url(), {"action": "reject", "version": "1", "reason": "Spam."}
    )
    assert response.status_code == 302
    response = second.post(
        submission.get_review_url(), {"action": "approve", "version": "1", "message": "Nice"}
    )
    assert response.status_code == 409
    html = text(response)
    assert "Someone else changed this submission since you opened it" in html
    assert "rejected by mona" in html
    assert not Story.objects.exists()
    assert fresh(submission).status == SubmissionStatus.REJECTED


def test_approve_that_breaks_the_rules_shows_the_problem(taxonomy: None, moderator: User) -> None:
    submission = new_submission()
    url = submission.payload["sources"][0]["url"]
    # Meanwhile the same source joined another story.
    other = StoryFactory(title="Other story", sources=False)
    SourceFactory(story=other, url=url, canonical_url=canonicalize_url(url))
    response = logged_in(moderator).post(
        submission.get_review_url(), {"action": "approve", "version": "1"}
    )
    assert response.status_code == 422
    assert "is already a source of “Other story”" in text(response)
    assert fresh(submission).status == SubmissionStatus.PENDING
    assert Story.objects.count() == 1


def test_decided_submissions_offer_no_actions(taxonomy: None, moderator: User) -> None:
    submission = new_submission()
    submission_reject(submission=submission, moderator=moderator, expected_version=1, reason="x")
    html = text(logged_in(moderator).get(submission.get_review_url()))
    assert 'name="action"' not in html
    response = logged_in(moderator).post(
        submission.get_review_url(), {"action": "approve", "version": "2"}
    )
    assert response.status_code == 409
    assert "cannot be approved" in text(response)


def test_unknown_action_is_400(taxonomy: None, moderator: User) -> None:
    submission = new_submission()
    response = logged_in(moderator).post(submission.get_review_url(), {"action": "publish"})
    assert response.status_code == 400


# --- retraction ---------------------------------------------------------------------------


def test_retract_takes_the_story_off_the_site(
    client: Client, moderator: User, member: User, published_story: Story
) -> None:
    as_member = text(logged_in(member).get(published_story.get_absolute_url()))
    assert "Retract this story" not in as_member
    moderation = logged_in(moderator)
    html = text(moderation.get(published_story.get_absolute_url()))
    assert "Retract this story" in html
    assert f'name="version" value="{published_story.version}"' in html
    retract = reverse("submissions:retract", kwargs={"slug": published_story.slug})
    assert moderation.post(retract, {"version": "1", "reason": ""}).status_code == 400
    stale = moderation.post(retract, {"version": "99", "reason": "Duplicate."})
    assert stale.status_code == 409
    assert "The story changed since you opened it" in text(stale)
    response = moderation.post(retract, {"version": str(published_story.version), "reason": "Dup."})
    assert response.status_code == 302
    assert client.get(published_story.get_absolute_url()).status_code == 404
    assert published_story.title not in text(client.get(reverse("web:story-list")))
    entry = AuditEntry.objects.get(action="retracted")
    assert (entry.actor, entry.message) == (moderator, "Dup.")
    assert moderation.get(retract).status_code == 404


# --- XSS ----------------------------------------------------------------------------------


def test_xss_never_reaches_moderators_or_the_public_page(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client, xss_payload(), note=f"Note {XSS}")
    moderation = logged_in(moderator)
    for url in [reverse("submissions:queue"), submission.get_review_url()]:
        html = text(moderation.get(url))
        assert "&lt;script&gt;" in html
        assert_no_live_markup(html)
    response = moderation.post(
        submission.get_review_url(), {"action": "approve", "version": "1", "message": XSS}
    )
    assert response.status_code == 302
    story = Story.objects.get()
    for page in [
        client.get(story.get_absolute_url()),
        client.get(reverse("web:story-list")),
        client.get(submission.get_tracking_url()),
        moderation.get(submission.get_review_url()),
    ]:
        assert page.status_code == 200
        assert_no_live_markup(text(page))


# --- logging in and out -------------------------------------------------------------------


def test_login_page_logs_moderators_in_to_the_queue(client: Client, moderator: User) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in text(response)
    response = client.post(reverse("login"), {"username": "mona", "password": "wrong"})
    assert response.status_code == 200
    assert 'id="error-summary"' in text(response)
    response = client.post(
        reverse("login"), {"username": "mona", "password": "pw-mona-long-enough"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:queue")
    home = text(client.get(reverse("web:home")))
    assert "(0 pending)" in home
    assert f'action="{reverse("logout")}"' in home
    assert client.post(reverse("logout")).status_code == 302
    assert "pending)" not in text(client.get(reverse("web:home")))


def test_header_has_no_queue_link_for_members(member: User) -> None:
    html = text(logged_in(member).get(reverse("web:home")))
    assert "Submit a story" in html
    assert "pending)" not in html
    assert "Log out" in html
