"""API representations. Story keys follow the story-file front matter, plus slug and summary."""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.cards import Tag
from apps.catalog.models import (
    Component,
    ImpactKind,
    Mitigation,
    Organization,
    Platform,
    Source,
    SourceKind,
    Story,
    StoryMitigation,
    StoryStatus,
    StoryUpstreamIssue,
    UpstreamIssue,
)
from apps.catalog.rendering import validate_markdown
from apps.catalog.storyfiles.parsing import symptom_problems
from apps.catalog.storyfiles.payload import LIST_LIMITS
from apps.catalog.storyfiles.plaintext import text_problems
from apps.core.limits import MAX_SUMMARY, MAX_TITLE


# A named component: sources in stories and in submission bodies share it, and "kind"
# also names other choice sets in this API.
@extend_schema_field(
    {"type": "string", "enum": list(SourceKind.values)}, component_name="SourceKindEnum"
)
class SourceKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SourceKind.choices, **kwargs)


class SourceSerializer(serializers.ModelSerializer[Source]):
    kind = SourceKindField()

    class Meta:
        model = Source
        fields = ["url", "kind", "title"]


class ComponentRefSerializer(serializers.ModelSerializer[Component]):
    area = serializers.CharField(source="area.slug")

    class Meta:
        model = Component
        fields = ["slug", "name", "area"]


class StoryUpstreamSerializer(serializers.ModelSerializer[StoryUpstreamIssue]):
    url = serializers.URLField(source="upstream_issue.url")
    tracker = serializers.CharField(source="upstream_issue.tracker")
    owner = serializers.CharField(source="upstream_issue.owner")
    repo = serializers.CharField(source="upstream_issue.repo")
    number = serializers.IntegerField(source="upstream_issue.number")
    kind = serializers.CharField(source="upstream_issue.kind")
    state = serializers.CharField(source="upstream_issue.state")
    title = serializers.CharField(source="upstream_issue.title")
    last_synced_at = serializers.DateTimeField(
        source="upstream_issue.last_synced_at", allow_null=True
    )

    class Meta:
        model = StoryUpstreamIssue
        fields = [
            "url", "tracker", "owner", "repo", "number", "kind", "state", "title",
            "last_synced_at", "note",
        ]  # fmt: skip


class StoryMitigationSerializer(serializers.ModelSerializer[StoryMitigation]):
    slug = serializers.SlugField(source="mitigation.slug")
    title = serializers.CharField(source="mitigation.title")

    class Meta:
        model = StoryMitigation
        fields = ["slug", "title", "note"]


class TagSlugsField(serializers.ListField):
    """The slugs of a story's tags of one kind (apps.catalog.cards)."""

    child = serializers.CharField()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, data: list[Tag]) -> list[str]:
        return [tag.slug for tag in data]


class StoryListSerializer(serializers.ModelSerializer[Story]):
    """The compact form used in lists; a page's tags are read at once (with_tags)."""

    organization = serializers.CharField(source="organization.name", allow_null=True)
    date = serializers.CharField(source="date_value")
    components = TagSlugsField(source="tags.components")
    platforms = TagSlugsField(source="tags.platforms")
    impact = TagSlugsField(source="tags.impacts")
    url = serializers.HyperlinkedIdentityField(view_name="api:story-detail", lookup_field="slug")

    class Meta:
        model = Story
        fields = [
            "slug", "url", "title", "organization", "date", "components", "platforms",
            "impact", "updated_at",
        ]  # fmt: skip


class StoryDetailSerializer(StoryListSerializer):
    """The full record: everything the story file holds, plus the live upstream state."""

    sources = SourceSerializer(many=True, read_only=True)
    components = ComponentRefSerializer(many=True, read_only=True)  # type: ignore[assignment]
    platforms = serializers.SlugRelatedField(  # type: ignore[assignment]
        many=True, read_only=True, slug_field="slug"
    )
    impact = serializers.SlugRelatedField(  # type: ignore[assignment]
        source="impacts", many=True, read_only=True, slug_field="slug"
    )
    upstream = StoryUpstreamSerializer(source="upstream_links", many=True, read_only=True)
    mitigations = StoryMitigationSerializer(source="mitigation_links", many=True, read_only=True)
    verified = serializers.CharField(source="verification")
    symptoms = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What you would have seen: error messages, log lines, statuses and metric "
        "names, verbatim from the source.",
    )
    summary_html = serializers.SerializerMethodField()

    class Meta(StoryListSerializer.Meta):
        fields = [
            *StoryListSerializer.Meta.fields,
            "sources", "symptoms", "upstream", "mitigations", "verified", "summary", "summary_html",
            "version", "created_at",
        ]  # fmt: skip

    def get_summary_html(self, story: Story) -> str:
        return story.summary_html


class StrictFieldsMixin:
    """A write naming a key this serializer does not take is refused (400), not half-done.

    Keys in `read_only_names` (those a GET shows) are called read-only; others unknown.
    Their problems are reported with the values' own, all at once.
    """

    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        problems: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            fields = self.fields  # type: ignore[attr-defined]
            writable = sorted(name for name, field in fields.items() if not field.read_only)
            for key in map(str, data):
                if key in writable:
                    continue
                problems[key] = [
                    "This field is read-only."
                    if key in self.read_only_names
                    else f"Unknown field; the writable fields are: {', '.join(writable)}."
                ]
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if problems and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **problems}) from None
            raise
        if problems:
            raise serializers.ValidationError(problems)
        return value


class StoryWriteSerializer(StrictFieldsMixin, serializers.Serializer[Story]):
    """What a moderator may change through the API."""

    read_only_names = tuple(StoryDetailSerializer.Meta.fields)

    title = serializers.CharField(max_length=MAX_TITLE)
    summary = serializers.CharField(max_length=MAX_SUMMARY, validators=[validate_markdown])
    status = serializers.ChoiceField(choices=StoryStatus.choices)
    components = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Component.objects.all(), allow_empty=False
    )
    platforms = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Platform.objects.all()
    )
    impact = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=ImpactKind.objects.all()
    )
    # Optional even in a PUT: clients written before the field keep working.
    symptoms = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Text verbatim from the source, one symptom per entry (at most 20 entries "
        "of at most 300 characters).",
    )

    def to_internal_value(self, data: Any) -> Any:
        # Each entry of these lists costs a query: their lengths are checked first.
        if isinstance(data, Mapping):
            too_long = {
                key: [f"At most {LIST_LIMITS[key]} entries are allowed."]
                for key in ("components", "platforms", "impact")
                if isinstance(data.get(key), list) and len(data[key]) > LIST_LIMITS[key]
            }
            if too_long:
                raise serializers.ValidationError(too_long)
        return super().to_internal_value(data)

    def validate_title(self, value: str) -> str:
        return " ".join(_plain_text(value).split())

    def validate_summary(self, value: str) -> str:
        return _plain_text(value).strip()

    def validate_symptoms(self, value: Any) -> list[str]:
        symptoms, problems = symptom_problems(value)
        if problems:
            raise serializers.ValidationError(
                [f"{where}: {message[0].upper()}{message[1:]}." for where, message in problems]
            )
        return list(symptoms)


def _plain_text(value: str) -> str:
    """No NUL (PostgreSQL), control characters (XML feeds) or lone surrogates."""
    problems = text_problems(value)
    if problems:
        raise serializers.ValidationError([f"{m[0].upper()}{m[1:]}." for _, m in problems])
    return value


class ComponentSerializer(serializers.ModelSerializer[Component]):
    area = serializers.CharField(source="area.slug")
    area_name = serializers.CharField(source="area.name")
    story_count = serializers.IntegerField(read_only=True)
    mitigations = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta:
        model = Component
        fields = [
            "slug", "name", "area", "area_name", "description", "aliases", "story_count",
            "mitigations",
        ]  # fmt: skip


class MitigationListSerializer(serializers.ModelSerializer[Mitigation]):
    components = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    story_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Mitigation
        fields = ["slug", "title", "components", "story_count", "updated_at"]


class MitigationDetailSerializer(MitigationListSerializer):
    links = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    stories = serializers.SerializerMethodField()

    class Meta(MitigationListSerializer.Meta):
        fields = [*MitigationListSerializer.Meta.fields, "body", "links", "stories"]

    def get_stories(self, mitigation: Mitigation) -> list[str]:
        return [story.slug for story in getattr(mitigation, "public_stories", [])]


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    story_count = serializers.IntegerField(read_only=True)
    stories = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["slug", "name", "story_count", "stories"]

    def get_stories(self, organization: Organization) -> list[str]:
        return [story.slug for story in getattr(organization, "public_stories", [])]


class UpstreamIssueSerializer(serializers.ModelSerializer[UpstreamIssue]):
    stories = serializers.SerializerMethodField()

    class Meta:
        model = UpstreamIssue
        fields = [
            "id", "url", "tracker", "owner", "repo", "number", "kind", "state", "title",
            "last_synced_at", "stories",
        ]  # fmt: skip

    def get_stories(self, issue: UpstreamIssue) -> list[str]:
        return [link.story.slug for link in getattr(issue, "public_links", [])]


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error shape of the API."""

    error = serializers.CharField(help_text="Machine-readable code, e.g. not_found, invalid.")
    detail = serializers.CharField(help_text="What went wrong, in words.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per invalid field.",
    )
