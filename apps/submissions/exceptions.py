"""What the submission workflow refuses, as reasons with the data to explain them. The
pages and the API word them for their readers (wording.py, with each face's advice)."""

from enum import StrEnum
from typing import TYPE_CHECKING

from apps.catalog.storyfiles.records import Problem

if TYPE_CHECKING:
    from apps.core.models import AuditAction, AuditEntry
    from apps.submissions.models import Submission


class SubmissionInvalid(Exception):
    """The proposed story breaks the story-file rules; `problems` name the fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    def by_field(self) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = {}
        for problem in self.problems:
            fields.setdefault(problem.field, []).append(problem.message)
        return fields


class ConflictReason(StrEnum):
    """Why a change of a submission was refused; the values are the API's error codes."""

    # Someone else changed it since the caller read it: `submission` as it is now, and
    # `last_entry`, the change that came first, if logged.
    SUBMISSION_CHANGED = "submission_changed"
    # Its status does not allow `action` (the audit action it would have logged).
    WRONG_STATUS = "submission_status"
    # The story an edit was proposed for was deleted.
    STORY_GONE = "story_gone"
    # The story changed since the version the moderator's diff was made against.
    STORY_CHANGED = "story_changed"
    # Another approval created the same organization, slug, source or issue meanwhile.
    PUBLISHED_MEANWHILE = "published_meanwhile"


class SubmissionConflict(Exception):
    """The submission (or its story) changed since the caller read it."""

    def __init__(
        self,
        reason: ConflictReason,
        *,
        submission: "Submission | None" = None,
        action: "AuditAction | None" = None,
        last_entry: "AuditEntry | None" = None,
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.submission = submission
        self.action = action
        self.last_entry = last_entry
