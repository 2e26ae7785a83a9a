"""Community submissions and their moderation (the audit log is apps.core.models)."""

import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.catalog.models import Story
from apps.core.models import AuditEntry


class SubmissionKind(models.TextChoices):
    NEW = "new", "New story"
    EDIT = "edit", "Edit to a story"
    SOURCE = "source", "Additional source"


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


OPEN_STATUSES = (SubmissionStatus.PENDING, SubmissionStatus.CHANGES_REQUESTED)


# The alphabet new_tracking_token draws from (URL-safe base64; it makes 43 characters).
TRACKING_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_tracking_token() -> str:
    return secrets.token_urlsafe(32)


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def pending(self) -> "SubmissionQuerySet":
        return self.filter(status=SubmissionStatus.PENDING)

    def open(self) -> "SubmissionQuerySet":
        """Not decided yet: waiting for a moderator or for the submitter's revision."""
        return self.filter(status__in=OPEN_STATUSES)

    def flagged(self) -> "SubmissionQuerySet":
        return self.exclude(flags=[])

    def from_same_submitter(self, submission: "Submission") -> "SubmissionQuerySet":
        """Other submissions by the same account, email address or network address."""
        same = Q(pk__in=[])
        if submission.submitter_id:
            same |= Q(submitter_id=submission.submitter_id)
        if submission.email:
            same |= Q(email__iexact=submission.email)
        if submission.client_key:
            same |= Q(client_key=submission.client_key)
        return self.filter(same).exclude(pk=submission.pk)

    def for_queue(self) -> "SubmissionQuerySet":
        return self.select_related("story", "submitter", "decided_by")


class Submission(models.Model):
    """A proposed new story, edit or extra source; nothing in it is public until approved."""

    Kind = SubmissionKind
    Status = SubmissionStatus

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    story = models.ForeignKey(
        Story,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
        help_text="The story edited, or the story an approved new submission created.",
    )
    payload = models.JSONField(help_text="The proposed story in its JSON form.")
    base = models.JSONField(
        null=True, blank=True, help_text="The story as it was when the edit was proposed."
    )
    base_version = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="The submitter's message to moderators.")
    email = models.EmailField(blank=True)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    client_key = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Keyed hash of the network address."
    )
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token)
    flags = models.JSONField(default=list, blank=True, help_text="Why this looks suspicious.")
    moderator_message = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveSmallIntegerField(default=1)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every change; guards against two moderators at once."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SubmissionKind.values), name="submission_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SubmissionStatus.values), name="submission_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=SubmissionKind.NEW) | Q(base__isnull=False),
                name="submission_edit_has_base",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="submission_queue_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.title}"

    @property
    def title(self) -> str:
        title = self.payload.get("title") if isinstance(self.payload, dict) else None
        return str(title or "(untitled)")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def get_tracking_url(self) -> str:
        return reverse("submissions:track", kwargs={"token": self.tracking_token})

    def get_review_url(self) -> str:
        return reverse("submissions:review", kwargs={"pk": self.pk})


class SubmissionURL(models.Model):
    """A canonical source URL of an open submission, for duplicate checks."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="urls")
    canonical_url = models.URLField(max_length=1000, db_index=True)

    def __str__(self) -> str:
        return self.canonical_url


class Notification(models.Model):
    """One email to a submitter about one audit entry; sent at most once."""

    entry = models.OneToOneField(AuditEntry, on_delete=models.DO_NOTHING, db_constraint=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notification of {self.entry_id}"
