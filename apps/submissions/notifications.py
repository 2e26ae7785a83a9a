"""Plain-text emails to submitters who left an address."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.catalog.models import Story
from apps.core.models import AuditAction, AuditEntry
from apps.submissions.models import Notification, Submission

SUBJECTS = {
    AuditAction.SUBMITTED: "We received your submission",
    AuditAction.REVISED: "We received your revised submission",
    AuditAction.APPROVED: "Your submission was approved",
    AuditAction.REJECTED: "Your submission was not accepted",
    AuditAction.CHANGES_REQUESTED: "Changes requested on your submission",
}
# Only these entries carry a moderator's words. A receipt's entry holds the submitter's own
# note, and anyone may type anyone's address: it must not reach them as ours.
MODERATOR_ACTIONS = frozenset(
    {AuditAction.APPROVED, AuditAction.REJECTED, AuditAction.CHANGES_REQUESTED}
)


def send_notification(entry_id: int) -> bool:
    """Send the email for one audit entry unless it was sent before. True when sent."""
    entry = AuditEntry.objects.filter(pk=entry_id).first()
    if entry is None or entry.submission_id is None:
        return False
    submission = Submission.objects.filter(pk=entry.submission_id).first()
    if submission is None or not submission.email:
        return False
    subject = SUBJECTS.get(AuditAction(entry.action))
    if subject is None:
        return False
    with transaction.atomic():
        notification, _ = Notification.objects.select_for_update().get_or_create(entry=entry)
        if notification.sent_at is not None:
            return False
        lines = [
            f"{subject}: “{submission.title}”.",
            "",
            f"Status: {submission.get_status_display()}",
        ]
        if entry.message and entry.action in MODERATOR_ACTIONS:
            lines += ["", "Message from the moderators:", entry.message]
        if entry.action == AuditAction.APPROVED:
            # Still public when the email goes out: a retraction since then hides it again.
            story = Story.objects.public().filter(submissions=submission).first()
            if story is not None:
                address = f"{settings.SITE_URL}{story.get_absolute_url()}"
                lines += ["", "Read it on the site:", address]
        lines += [
            "",
            "Follow it (and revise it when changes are requested) at this private address:",
            f"{settings.SITE_URL}{submission.get_tracking_url()}",
            "",
            "Keep this address to yourself: anyone with it can see and revise the submission.",
        ]
        send_mail(
            f"[Kubernetes Failure Stories] {subject}",
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            [submission.email],
        )
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True
