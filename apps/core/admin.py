from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.models import AuditEntry, OutboxEntry, SchedulerLease


@admin.register(SchedulerLease)
class SchedulerLeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "renewed_at", "expires_at", "transitions"]
    readonly_fields = ["name", "holder", "acquired_at", "renewed_at", "expires_at", "transitions"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    list_display = ["task", "args", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["task", "args", "created_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: anyone with access reads it; no one adds, changes or deletes."""

    list_display = ("at", "actor_name", "action", "story_slug", "submission_id")
    list_filter = ("action", "at")
    search_fields = ("actor_name", "story_slug", "message")
    date_hierarchy = "at"
    readonly_fields = (
        "at", "actor", "actor_name", "action", "submission_id", "story_id", "story_slug",
        "message", "before", "after",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
