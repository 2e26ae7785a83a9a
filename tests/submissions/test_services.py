"""The submission workflow services: every transition, its audit entry, and its conflicts."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from apps.catalog.models import Story, StoryOrigin, StoryStatus
from apps.submissions.models import AuditAction, AuditEntry, Submission, SubmissionStatus
from apps.submissions.services import (
    SubmissionConflict,
    SubmissionInvalid,
    submission_approve,
    submission_create,
    submission_reject,
    submission_request_changes,
    submission_revise,
)

pytestmark = pytest.mark.django_db


def test_new_story_is_published_only_on_approval(
    payload: dict[str, Any], moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(payload=payload, email="me@example.org")
    assert submission.status == SubmissionStatus.PENDING
    assert not Story.objects.public().exists()
    with django_capture_on_commit_callbacks(execute=True):
        story = submission_approve(
            submission=submission, moderator=moderator, expected_version=submission.version
        )
    assert story.status == StoryStatus.PUBLISHED
    assert story.origin == StoryOrigin.WEB
    assert story.slug == "2021-example-corp-coredns-ran-out-of-memory-during-a-deploy"
    assert [c.slug for c in story.components.all()] == ["dns", "coredns"]
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [AuditAction.SUBMITTED, AuditAction.APPROVED]
    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "[Kubernetes Failure Stories] We received your submission",
        "[Kubernetes Failure Stories] Your submission was approved",
    ]
    assert submission.get_tracking_url() in mail.outbox[1].body


def test_invalid_payload_names_the_fields(payload: dict[str, Any]) -> None:
    payload["components"] = ["nope"]
    payload["date"] = "2099"
    with pytest.raises(SubmissionInvalid) as info:
        submission_create(payload=payload)
    assert set(info.value.by_field()) == {"components", "date"}
    assert not Submission.objects.exists()


def test_second_moderator_gets_a_conflict(
    payload: dict[str, Any], moderator: User, second_moderator: User
) -> None:
    submission = submission_create(payload=payload)
    stale = Submission.objects.get(pk=submission.pk)
    submission_reject(
        submission=submission, moderator=moderator, expected_version=1, reason="Not a failure."
    )
    with pytest.raises(SubmissionConflict, match="Someone else changed this submission"):
        submission_approve(submission=stale, moderator=second_moderator, expected_version=1)
    assert not Story.objects.exists()


def test_changes_requested_then_revised(payload: dict[str, Any], moderator: User) -> None:
    submission = submission_create(payload=payload)
    submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="Add a date."
    )
    payload["date"] = "2021-03-04"
    submission_revise(submission=submission, payload=payload, expected_version=2)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    assert submission.revision == 2
    assert submission.payload["date"] == "2021-03-04"
