"""The API's 409 for each reason the submission workflow refuses a change: the reason's
code as `error`, and a detail saying what to do."""

import pytest

from apps.api.submissions import conflict_error
from apps.core import audit
from apps.core.models import AuditAction
from apps.submissions.exceptions import ConflictReason, SubmissionConflict
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import submission_create
from tests.submissions.conftest import make_payload, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(taxonomy: None) -> Submission:
    submission = submission_create(payload=make_payload())
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.REJECTED)
    submission.refresh_from_db()
    return submission


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (ConflictReason.SUBMISSION_CHANGED, "submission_changed"),
        (ConflictReason.WRONG_STATUS, "submission_status"),
        (ConflictReason.STORY_GONE, "story_gone"),
        (ConflictReason.STORY_CHANGED, "story_changed"),
        (ConflictReason.PUBLISHED_MEANWHILE, "published_meanwhile"),
    ],
)
def test_each_reason_is_a_409_with_a_stable_code_and_a_sentence(
    rejected: Submission, reason: ConflictReason, code: str
) -> None:
    error = conflict_error(
        SubmissionConflict(reason, submission=rejected, action=AuditAction.APPROVED)
    )
    assert (error.status_code, error.get_codes()) == (409, code)
    assert str(error.detail).endswith(".")


def test_the_details_name_who_changed_it_and_what_the_status_forbids(
    rejected: Submission,
) -> None:
    moderator = make_user("mona", "moderator")
    entry = audit.record(action=AuditAction.REJECTED, actor=moderator, submission=rejected)
    changed = conflict_error(
        SubmissionConflict(ConflictReason.SUBMISSION_CHANGED, submission=rejected, last_entry=entry)
    )
    assert str(changed.detail) == (
        "Someone else changed this submission since you read it (rejected by mona at "
        f"{entry.at:%H:%M:%S}); it is now “Rejected”. GET it again and retry."
    )
    forbidden = conflict_error(
        SubmissionConflict(
            ConflictReason.WRONG_STATUS, submission=rejected, action=AuditAction.CHANGES_REQUESTED
        )
    )
    assert str(forbidden.detail) == (
        "A submission that is “Rejected” cannot be sent back for changes."
    )
    story = conflict_error(SubmissionConflict(ConflictReason.STORY_CHANGED))
    assert "send its story_version" in str(story.detail)
