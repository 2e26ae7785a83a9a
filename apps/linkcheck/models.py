from django.db import models


class SchedulerLease(models.Model):
    """Who may act as the one periodic scheduler, until when (as Kubernetes' Lease object).

    A holder renews before `expires_at`; another process takes over only once it has
    passed. `transitions` rises on every change of holder and serves as a fencing token.
    """

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    transitions = models.PositiveIntegerField(default=0)

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
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="outbox_pending_idx")]
        verbose_name_plural = "outbox entries"

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
