"""The submitter's private tracking page: status, messages, history and revisions."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from apps.submissions.models import SubmissionStatus
from apps.submissions.services import (
    submission_approve,
    submission_reject,
    submission_request_changes,
    submission_revise,
)
from tests.submissions.conftest import fresh, make_payload
from tests.submissions.webforms import (
    XSS,
    assert_no_live_markup,
    form_data,
    submit_ok,
    text,
    xss_payload,
)

pytestmark = pytest.mark.django_db


def test_tracking_page_shows_status_preview_and_history(client: Client, taxonomy: None) -> None:
    submission = submit_ok(client, note="Please look.")
    response = client.get(submission.get_tracking_url())
    assert response.status_code == 200
    html = text(response)
    assert "Waiting for review" in html
    assert "<strong>OOM-killed</strong>" in html  # the summary, rendered
    assert "https://blog.example.org/coredns-oom" in html
    assert "Networking \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} CoreDNS" in html
    assert "Please look." in html
    assert "You: submitted" in html
    assert "Bookmark this page" in html
    assert 'name="version"' not in html  # nothing to revise while it waits


def test_tracking_page_is_private(client: Client, taxonomy: None) -> None:
    submission = submit_ok(client)
    response = client.get(submission.get_tracking_url())
    # Only the origin, never the path with the token, goes out as Referer.
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in text(response)
    canonical = re.search(r'<link rel="canonical" href="([^"]*)"', text(response))
    assert canonical is not None
    assert submission.tracking_token not in canonical[1]


def test_wrong_token_is_404(client: Client, taxonomy: None) -> None:
    submission = submit_ok(client)
    assert client.get(reverse("submissions:track", kwargs={"token": "nope"})).status_code == 404
    wrong = submission.tracking_token[:-1] + ("A" if submission.tracking_token[-1] != "A" else "B")
    assert client.get(reverse("submissions:track", kwargs={"token": wrong})).status_code == 404


def test_rejection_reason_is_shown_without_the_moderators_name(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    submission_reject(
        submission=submission, moderator=moderator, expected_version=1, reason="Not a failure."
    )
    html = text(client.get(submission.get_tracking_url()))
    assert "Rejected" in html
    assert "Not a failure." in html
    assert "A moderator: rejected" in html
    assert moderator.username not in html


def test_requested_changes_open_the_revise_form(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Add the day."
    )
    url = submission.get_tracking_url()
    html = text(client.get(url))
    assert "Add the day." in html
    assert "Revise your submission" in html
    assert '<input type="hidden" name="version" value="2">' in html
    assert 'value="CoreDNS ran out of memory during a deploy"' in html
    assert 'name="website"' not in html  # no honeypot or email on a revision

    data = form_data(make_payload(date="2021-03-04"), version="2", note="Added the day.")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    submission = fresh(submission)
    assert submission.status == SubmissionStatus.PENDING
    assert submission.revision == 2
    assert submission.payload["date"] == "2021-03-04"
    assert submission.note == "Added the day."
    html = text(client.get(url))
    assert "back in the queue" in html
    assert "You: revised by the submitter" in html


def test_revise_keeps_its_own_urls_and_shows_errors(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Fix it."
    )
    url = submission.get_tracking_url()
    response = client.post(url, form_data(make_payload(date="soon"), version="2"))
    assert response.status_code == 400
    html = text(response)
    assert "is not YYYY, YYYY-MM or YYYY-MM-DD" in html
    assert "under review" not in html  # its own source URL is not a duplicate
    assert fresh(submission).status == SubmissionStatus.CHANGES_REQUESTED


def test_revise_is_refused_unless_changes_were_requested(client: Client, taxonomy: None) -> None:
    submission = submit_ok(client)
    response = client.post(
        submission.get_tracking_url(), form_data(make_payload(date="2021-03-04"), version="1")
    )
    assert response.status_code == 409
    assert "cannot be revised" in text(response)
    assert fresh(submission).payload["date"] == "2021-03"


def test_stale_revise_form_is_a_conflict_that_keeps_the_input(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Fix it."
    )
    # Revised in another tab, and sent back again by the moderator.
    submission_revise(submission=submission, payload=make_payload(date="2021"), expected_version=2)
    submission_request_changes(
        submission=fresh(submission), moderator=moderator, expected_version=3, message="Again."
    )
    stale = form_data(make_payload(title="Typed in the old tab"), version="2")
    response = client.post(submission.get_tracking_url(), stale)
    assert response.status_code == 409
    html = text(response)
    assert "Someone else changed this submission" in html
    assert 'value="Typed in the old tab"' in html
    assert fresh(submission).payload["date"] == "2021"


def test_approved_submission_links_to_its_story(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client)
    story = submission_approve(submission=submission, moderator=moderator, expected_version=1)
    html = text(client.get(submission.get_tracking_url()))
    assert "Approved" in html
    assert f'href="{story.get_absolute_url()}"' in html


def test_xss_in_every_field_is_escaped_on_the_tracking_page(
    client: Client, taxonomy: None, moderator: User
) -> None:
    submission = submit_ok(client, xss_payload(), note=f"Note {XSS}")
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message=f"Msg {XSS}"
    )
    html = text(client.get(submission.get_tracking_url()))
    assert "&lt;script&gt;" in html
    assert_no_live_markup(html)
