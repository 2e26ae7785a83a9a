"""What the submission pages say for each reason the workflow refuses a change."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from apps.core import audit
from apps.core.models import AuditAction
from apps.submissions.exceptions import ConflictReason, SubmissionConflict
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import submission_create
from apps.submissions.views.helpers import conflict_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(payload: dict[str, Any], moderator: User) -> Submission:
    submission = submission_create(payload=payload)
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.REJECTED)
    submission.refresh_from_db()
    return submission


def test_every_reason_has_a_sentence(rejected: Submission) -> None:
    for reason in ConflictReason:
        message = conflict_text(SubmissionConflict(reason, submission=rejected))
        assert message.endswith(".") and reason.value not in message


def test_someone_else_changed_it_names_who_when_and_the_status(
    rejected: Submission, moderator: User
) -> None:
    entry = audit.record(action=AuditAction.REJECTED, actor=moderator, submission=rejected)
    message = conflict_text(
        SubmissionConflict(ConflictReason.SUBMISSION_CHANGED, submission=rejected, last_entry=entry)
    )
    assert message == (
        "Someone else changed this submission since you opened it (rejected by mona at "
        f"{entry.at:%H:%M:%S}); it is now “Rejected”. Reload it and try again."
    )


@pytest.mark.parametrize(
    ("action", "verb"),
    [
        (AuditAction.APPROVED, "approved"),
        (AuditAction.REVISED, "revised"),
        (AuditAction.REJECTED, "rejected"),
        (AuditAction.CHANGES_REQUESTED, "sent back for changes"),
    ],
)
def test_a_status_that_forbids_the_action_names_both(
    rejected: Submission, action: AuditAction, verb: str
) -> None:
    exc = SubmissionConflict(ConflictReason.WRONG_STATUS, submission=rejected, action=action)
    assert conflict_text(exc) == f"A submission that is “Rejected” cannot be {verb}."


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        (ConflictReason.STORY_GONE, "The story this edit was for no longer exists."),
        (ConflictReason.STORY_CHANGED, "The story changed since the diff you reviewed"),
        (ConflictReason.PUBLISHED_MEANWHILE, "Another story was published at the same moment"),
    ],
)
def test_story_reasons(reason: ConflictReason, text: str) -> None:
    assert conflict_text(SubmissionConflict(reason)).startswith(text)
