from typing import Any

from django import forms
from django.contrib import admin

from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Mitigation,
    Organization,
    Platform,
    Source,
    Story,
    StoryMitigation,
    StoryUpstreamIssue,
    UpstreamIssue,
)
from apps.catalog.services import story_claim, story_delete, story_saved
from apps.catalog.signals import stories_changed
from apps.catalog.slugs import is_slug
from apps.catalog.snapshots import story_snapshot


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    # Link health is written by the link checker only.
    health_fields = [
        "is_broken",
        "last_checked_at",
        "last_status_code",
        "consecutive_failures",
        "last_error",
    ]
    fields = ["position", "url", "kind", "title", "canonical_url", *health_fields]
    readonly_fields = ["canonical_url", *health_fields]


class StoryUpstreamIssueInline(admin.TabularInline):
    model = StoryUpstreamIssue
    extra = 0
    autocomplete_fields = ["upstream_issue"]


class StoryMitigationInline(admin.TabularInline):
    model = StoryMitigation
    extra = 0
    autocomplete_fields = ["mitigation"]


class RoutableSlugMixin(forms.ModelForm):  # type: ignore[type-arg]
    """A SlugField also takes "_" and capitals, which no story-file name or API URL does."""

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data.get("slug", ""))
        if not is_slug(slug):
            raise forms.ValidationError(
                "Use lowercase letters and digits, in words joined by single hyphens."
            )
        return slug


class StoryAdminForm(RoutableSlugMixin, forms.ModelForm):  # type: ignore[type-arg]
    """Refuses to save over a change someone else saved after this form was opened."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Story
        fields = [
            "title", "slug", "organization", "status", "summary", "published_on",
            "date_precision", "components", "platforms", "impacts", "verification",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None:
            # Locked until the admin's transaction ends, so the save's version check
            # (story_claim) cannot fail after this one passed.
            current = (
                Story.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != expected:
                raise forms.ValidationError(
                    f"Someone else changed this story since you opened it (version {expected} "
                    f"→ {current}). Open it again to see their change, then redo yours."
                )
        return cleaned


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    form = StoryAdminForm
    list_display = ["title", "organization", "published_on", "status", "origin", "verification"]
    list_filter = ["status", "origin", "verification", "components__area", "platforms", "impacts"]
    search_fields = ["title", "slug", "organization__name", "summary", "sources__url"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization", "components", "platforms"]
    filter_horizontal = ["impacts"]
    readonly_fields = ["origin", "created_at", "updated_at", "version"]
    date_hierarchy = "published_on"
    inlines = [SourceInline, StoryUpstreamIssueInline, StoryMitigationInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "organization", "status", "summary"]}),
        ("Date", {"fields": ["published_on", "date_precision"]}),
        ("Tags", {"fields": ["components", "platforms", "impacts", "verification"]}),
        (
            "Record",
            {"fields": ["origin", "version", "created_at", "updated_at", "expected_version"]},
        ),
    ]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Read from the database: `obj` already carries the form's changes.
        form.story_before = story_snapshot(obj) if change else None
        # Edited here, the story differs from any file: imports keep it until exported.
        obj.origin = Story.Origin.WEB
        if change:
            expected = form.cleaned_data.get("expected_version") or obj.version
            story_claim(story=obj, expected_version=expected)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        story_saved(
            story=form.instance,
            actor=request.user,
            before=form.story_before,
            message="Changed in the admin." if change else "Added in the admin.",
        )

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        story_delete(story=obj, actor=request.user, message="Deleted in the admin.")

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        for story in queryset:
            story_delete(story=story, actor=request.user, message="Deleted in the admin.")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["url", "kind", "story", "is_broken", "last_status_code", "last_checked_at"]
    list_filter = ["is_broken", "kind"]
    search_fields = ["url", "canonical_url", "title", "story__title"]
    list_select_related = ["story"]
    autocomplete_fields = ["story"]
    readonly_fields = [*SourceInline.health_fields, "final_url"]
    fieldsets = [
        (None, {"fields": ["story", "position", "url", "canonical_url", "kind", "title"]}),
        ("Link health", {"fields": [*SourceInline.health_fields, "final_url"]}),
    ]


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0
    fields = ["position", "slug", "name", "description"]


@admin.register(ComponentArea)
class ComponentAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]
    inlines = [ComponentInline]


class ReindexStoriesMixin:
    """Names and aliases of components and mitigations are part of their stories' text."""

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        stories = form.instance.stories.values_list("pk", flat=True)
        stories_changed.send(sender=Story, story_ids=stories)


@admin.register(Component)
class ComponentAdmin(ReindexStoriesMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "area"]
    list_filter = ["area"]
    search_fields = ["name", "slug", "aliases", "description"]
    list_select_related = ["area"]


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "aliases"]


@admin.register(ImpactKind)
class ImpactKindAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


class OrganizationAdminForm(RoutableSlugMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organization
        fields = ["name", "slug"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(Mitigation)
class MitigationAdmin(ReindexStoriesMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    list_filter = ["components__area"]
    search_fields = ["title", "slug", "body"]
    autocomplete_fields = ["components"]
    inlines = [StoryMitigationInline]


@admin.register(UpstreamIssue)
class UpstreamIssueAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "state", "title", "last_synced_at", "last_checked_at"]
    list_filter = ["state", "tracker", "kind", "owner"]
    search_fields = ["url", "title", "owner", "repo"]
    # The sync fields are written by `manage.py sync_upstream`.
    readonly_fields = [
        "tracker",
        "owner",
        "repo",
        "number",
        "kind",
        "labels",
        "milestone",
        "opened_at",
        "closed_at",
        "merged_at",
        "last_synced_at",
        "last_checked_at",
        "last_error",
    ]
    fieldsets = [
        (None, {"fields": ["url", "tracker", "owner", "repo", "number", "kind"]}),
        (
            "Upstream status",
            {
                "fields": [
                    "state",
                    "title",
                    "labels",
                    "milestone",
                    "opened_at",
                    "closed_at",
                    "merged_at",
                ]
            },
        ),
        ("Sync", {"fields": ["last_synced_at", "last_checked_at", "last_error"]}),
    ]
    inlines = [StoryUpstreamIssueInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The sync would overwrite a hand edit of a GitHub issue; other trackers are not synced.
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.tracker == UpstreamIssue.Tracker.GITHUB:
            readonly += ["state", "title"]
        return readonly
