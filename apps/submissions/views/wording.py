"""What the submission pages say when the workflow refuses a change."""

from apps.core.models import AuditAction
from apps.submissions.exceptions import ConflictReason, SubmissionConflict

# "A submission that is … cannot be <verb>."
ACTION_VERBS = {
    AuditAction.APPROVED: "approved",
    AuditAction.REVISED: "revised",
    AuditAction.REJECTED: "rejected",
    AuditAction.CHANGES_REQUESTED: "sent back for changes",
}


def conflict_message(exc: SubmissionConflict) -> str:
    """The sentence a page shows for a refused change."""
    submission = exc.submission
    status = f"“{submission.get_status_display()}”" if submission is not None else ""
    if exc.reason == ConflictReason.SUBMISSION_CHANGED:
        last = exc.last_entry
        who = (
            f" ({last.get_action_display().lower()} by {last.actor_name} at {last.at:%H:%M:%S})"
            if last is not None
            else ""
        )
        return (
            f"Someone else changed this submission since you opened it{who}; it is now "
            f"{status}. Reload it and try again."
        )
    if exc.reason == ConflictReason.WRONG_STATUS:
        verb = ACTION_VERBS.get(exc.action, "changed") if exc.action else "changed"
        return f"A submission that is {status} cannot be {verb}."
    if exc.reason == ConflictReason.STORY_GONE:
        return "The story this edit was for no longer exists."
    if exc.reason == ConflictReason.STORY_CHANGED:
        return "The story changed since the diff you reviewed; reload it and review again."
    return (
        "Another story was published at the same moment; reload the submission and "
        "approve it again."
    )
