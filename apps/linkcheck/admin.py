from django.contrib import admin

from apps.linkcheck.models import OutboxEntry, SchedulerLease


@admin.register(SchedulerLease)
class SchedulerLeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "renewed_at", "expires_at", "transitions"]
    readonly_fields = ["name", "holder", "acquired_at", "renewed_at", "expires_at", "transitions"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    list_display = ["task", "args", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["task", "args", "created_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
