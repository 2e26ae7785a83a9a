from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join

from apps.core.models import AuditEntry
from apps.submissions.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the moderation pages so they are logged."""

    list_display = ("pk", "title", "kind", "status", "created_at", "flag_count")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("payload", "email", "note")
    readonly_fields = [*(field.name for field in Submission._meta.fields), "audit_log"]
    exclude = ("tracking_token",)

    @admin.display(description="audit log")
    def audit_log(self, submission: Submission) -> str:
        entries = AuditEntry.objects.filter(submission_id=submission.pk).order_by("at", "pk")
        return format_html_join(
            "\n",
            "<p>{} · {} · {}<br>{}</p>",
            (
                (f"{e.at:%Y-%m-%d %H:%M}", e.actor_name, e.get_action_display(), e.message)
                for e in entries
            ),
        )

    @admin.display(description="flags")
    def flag_count(self, submission: Submission) -> int:
        return len(submission.flags or [])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in self.readonly_fields if name != "tracking_token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
