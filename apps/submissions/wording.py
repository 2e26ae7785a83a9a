"""What a refused change of a submission is called. The pages and the API say the same
thing happened and each adds its own advice on what to do next, kept with the face that
gives it (apps.submissions.views.helpers.PAGE_ADVICE, apps.api.submissions.API_ADVICE)."""

from dataclasses import dataclass

from apps.core.models import AuditAction
from apps.submissions.exceptions import ConflictReason, SubmissionConflict

# "A submission that is … cannot be <verb>."
ACTION_VERBS = {
    AuditAction.APPROVED: "approved",
    AuditAction.REVISED: "revised",
    AuditAction.REJECTED: "rejected",
    AuditAction.CHANGES_REQUESTED: "sent back for changes",
}


@dataclass(frozen=True)
class Advice:
    """One face's words: how the reader got the submission, and what to do after each
    refusal that can be retried."""

    seen: str  # "Someone else changed this submission since you <seen> it"
    retry: str  # after someone else changed the submission
    review_again: str  # after the story changed under the reviewed diff
    approve_again: str  # after another story was published at the same moment


def conflict_message(exc: SubmissionConflict, advice: Advice) -> str:
    """The sentence for a refused change, with `advice` for the reader."""
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
            f"Someone else changed this submission since you {advice.seen} it{who}; it is "
            f"now {status}. {advice.retry}"
        )
    if exc.reason == ConflictReason.WRONG_STATUS:
        verb = ACTION_VERBS.get(exc.action, "changed") if exc.action else "changed"
        return f"A submission that is {status} cannot be {verb}."
    if exc.reason == ConflictReason.STORY_GONE:
        return "The story this edit was for no longer exists."
    if exc.reason == ConflictReason.STORY_CHANGED:
        return f"The story changed since the diff you reviewed; {advice.review_again}"
    return f"Another story was published at the same moment; {advice.approve_again}"
