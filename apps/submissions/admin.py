from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.submissions.models import AuditEntry, Submission


class AuditEntryInline(admin.TabularInline):
    model = AuditEntry
    fields = ("at", "actor_name", "action", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "pk")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the moderation pages so they are logged."""

    list_display = ("pk", "title", "kind", "status", "created_at", "flag_count")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("payload", "email", "note")
    readonly_fields = [field.name for field in Submission._meta.fields]
    exclude = ("tracking_token",)
    inlines = [AuditEntryInline]

    @admin.display(description="flags")
    def flag_count(self, submission: Submission) -> int:
        return len(submission.flags or [])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in self.readonly_fields if name != "tracking_token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: anyone with access reads it; no one adds, changes or deletes."""

    list_display = ("at", "actor_name", "action", "story_slug", "submission_id")
    list_filter = ("action", "at")
    search_fields = ("actor_name", "story_slug", "message")
    date_hierarchy = "at"
    readonly_fields = (
        "at", "actor", "actor_name", "action", "submission", "story", "story_slug",
        "message", "before", "after",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
