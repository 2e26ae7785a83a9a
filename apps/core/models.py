"""What every app uses: the audit log, the outbox and the scheduler lease.

They were created in apps.submissions and apps.linkcheck and keep those tables.
"""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q


class SchedulerLease(models.Model):
    """Who may act as the one periodic scheduler, until when (as Kubernetes' Lease object).

    A holder renews before `expires_at`; another process takes over only once it has
    passed. `transitions` counts the changes of holder, for the admin and /metrics; no
    writer checks it, so it is not a fencing token.
    """

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    transitions = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "linkcheck_schedulerlease"  # where it was created, before it moved here

    def __str__(self) -> str:
        return f"{self.name}: {self.holder}"


class OutboxQuerySet(models.QuerySet["OutboxEntry"]):
    def pending(self) -> "OutboxQuerySet":
        return self.filter(sent_at__isnull=True)


class OutboxEntry(models.Model):
    """Background work recorded in the same transaction as the change that needs it.

    Sent to the broker after commit; if the broker is down, the sweeper sends it later.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        db_table = "linkcheck_outboxentry"  # where it was created, before it moved here
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="outbox_pending_idx")]
        verbose_name_plural = "outbox entries"

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class AuditAction(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    REVISED = "revised", "Revised by the submitter"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    RETRACTED = "retracted", "Story retracted"
    STORY_ADDED = "story_added", "Story added"
    STORY_EDITED = "story_edited", "Story edited"
    STORY_DELETED = "story_deleted", "Story deleted"
    STORY_IMPORTED = "story_imported", "Story imported from its file"


class AppendOnly(Exception):
    """The audit log is never changed or deleted."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries cannot be changed")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnly("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """Who did what to which submission or story, and when, with before/after snapshots.

    Append-only: the model refuses saves of existing rows and deletes, and a database
    trigger refuses UPDATE. Stories and submissions are referred to by id, and the actor
    without a foreign-key constraint, so that deleting any of them never rewrites the log.
    """

    Action = AuditAction

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="User name, or who acted without one.")
    action = models.CharField(max_length=20, choices=Action.choices)
    # Plain ids: the log sits below the catalogue and submissions, and keeps its rows
    # whatever happens to theirs. The columns are those of the former foreign keys.
    submission_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    story_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    story_slug = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        db_table = "submissions_auditentry"  # where it was created, before it moved here
        ordering = ["at", "pk"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries cannot be deleted")
