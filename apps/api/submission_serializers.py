"""Submission bodies and representations: what a submitter sends and sees, what moderators see."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers import SourceKindField, StrictFieldsMixin
from apps.catalog.models import Story, Verification
from apps.catalog.storyfiles.payload import LIST_LIMITS
from apps.core.limits import (
    MAX_MESSAGE,
    MAX_ORGANIZATION,
    MAX_SLUG,
    MAX_SUBMISSION_NOTE,
    MAX_SUMMARY,
    MAX_TITLE,
)
from apps.submissions.models import Submission, SubmissionKind, SubmissionStatus

DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


# Named components: "kind" and "status" each name several choice sets in this API.
@extend_schema_field(
    {"type": "string", "enum": list(SubmissionKind.values)}, component_name="SubmissionKindEnum"
)
class SubmissionKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SubmissionKind.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(SubmissionStatus.values)},
    component_name="SubmissionStatusEnum",
)
class SubmissionStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SubmissionStatus.choices, **kwargs)


class PayloadSourceSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=1000)
    kind = SourceKindField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TITLE)


class PayloadUpstreamSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="A GitHub issue or pull request, or a kernel bug.")
    note = serializers.CharField(required=False, allow_blank=True)


class PayloadMitigationSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(help_text="A mitigation's slug (see /api/v1/mitigations/).")
    note = serializers.CharField(required=False, allow_blank=True)


class StoryPayloadSerializer(serializers.Serializer[Any]):
    """A story in its JSON form: the story-file keys, and the Markdown body as `summary`.

    The values are checked with the same rules as story files; a problem is reported
    under its JSON path, e.g. `sources[0].url`.
    """

    title = serializers.CharField(max_length=MAX_TITLE)
    organization = serializers.CharField(max_length=MAX_ORGANIZATION)
    date = serializers.RegexField(
        DATE_PATTERN, help_text="When the story was published: YYYY, YYYY-MM or YYYY-MM-DD."
    )
    sources = PayloadSourceSerializer(many=True, max_length=LIST_LIMITS["sources"])
    components = serializers.ListField(
        child=serializers.SlugField(),
        min_length=1,
        max_length=LIST_LIMITS["components"],
        help_text="Component slugs.",
    )
    symptoms = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        max_length=LIST_LIMITS["symptoms"],
        help_text="What you would have seen: error messages, log lines, statuses and metric "
        "names, each verbatim from the source (one line, at most 300 characters).",
    )
    platforms = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        max_length=LIST_LIMITS["platforms"],
        help_text="Platform slugs.",
    )
    impact = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        max_length=LIST_LIMITS["impact"],
        help_text="Impact slugs.",
    )
    upstream = PayloadUpstreamSerializer(
        many=True, required=False, max_length=LIST_LIMITS["upstream"]
    )
    mitigations = PayloadMitigationSerializer(
        many=True, required=False, max_length=LIST_LIMITS["mitigations"]
    )
    summary = serializers.CharField(
        max_length=MAX_SUMMARY, help_text="What happened and what changed, in Markdown."
    )


class SubmissionExtrasSerializer(serializers.Serializer[Any]):
    """The keys of a submission body that are not part of the story."""

    story = serializers.SlugField(
        required=False,
        max_length=MAX_SLUG,
        help_text="Slug of a published story: the body is then a proposed edit of that story.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_SUBMISSION_NOTE,
        help_text="A message for the moderators (not published).",
    )
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text="Where to tell you about the decision (optional; never published).",
    )

    def validate_story(self, value: str) -> Story:
        story = Story.objects.public().filter(slug=value).first()
        if story is None:
            raise serializers.ValidationError("There is no published story with this slug.")
        return story


class SubmissionCreateSerializer(StoryPayloadSerializer, SubmissionExtrasSerializer):
    """A proposed story (or, with `story`, a proposed edit): the story's JSON form plus
    `story`, `note` and `email`."""


@extend_schema_field(StoryPayloadSerializer)
class StoryPayloadField(serializers.JSONField):
    """The payload exactly as stored (it was checked on the way in)."""


class DiffLineSerializer(serializers.Serializer[Any]):
    op = serializers.ChoiceField(
        choices=[(" ", "same"), ("-", "removed"), ("+", "added")],
        help_text='" " unchanged, "-" only in the current story, "+" only in the proposal.',
    )
    text = serializers.CharField()


class FieldChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="The story JSON key.")
    label = serializers.CharField()
    changed = serializers.BooleanField()
    lines = DiffLineSerializer(many=True)


class DuplicateSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="The proposed source URL.")
    canonical_url = serializers.CharField()
    story = serializers.CharField(
        source="story.slug", allow_null=True, help_text="Story that already has this source."
    )
    story_status = serializers.CharField(source="story.status", allow_null=True)
    submission = serializers.IntegerField(
        source="submission.pk", allow_null=True, help_text="Open submission with this source."
    )


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    """A submission. Some keys are shown to some readers only:

    - `tracking_url`: to the submitter only (the private page that shows the status);
    - `flags`, `submitter`, `decided_by`: to moderators;
    - `diff`, `duplicates`, `story_version`: to moderators reading one submission.
    """

    url = serializers.HyperlinkedIdentityField(view_name="api:submission-detail")
    kind = SubmissionKindField(read_only=True)
    status = SubmissionStatusField(read_only=True)
    story = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The story edited, or the story an approved new submission created.",
    )
    payload = StoryPayloadField(read_only=True, help_text="The proposed story.")
    # Declared writable with required=False only so that the schema calls them optional:
    # which of them a response holds depends on who reads it.
    tracking_url = serializers.URLField(
        required=False, help_text="Your private tracking page (only ever shown to you)."
    )
    flags = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Why the submission looks suspicious (moderators only).",
    )
    submitter = serializers.CharField(
        source="submitter.username",
        required=False,
        allow_null=True,
        help_text="The member who sent it; null when sent from the web without an account.",
    )
    decided_by = serializers.CharField(
        source="decided_by.username",
        required=False,
        allow_null=True,
        help_text="The moderator who last decided on it.",
    )
    diff = FieldChangeSerializer(
        many=True,
        required=False,
        help_text="Field by field: the current story (none for a new story) against the proposal.",
    )
    duplicates = DuplicateSerializer(
        many=True,
        required=False,
        help_text="Stories and open submissions that already have one of the source URLs.",
    )
    story_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=(
            "The version of the story the diff was made against; send it as story_version "
            "when approving an edit to a story that changed since the edit was proposed."
        ),
    )

    OPTIONAL = {
        "tracking": ("tracking_url",),
        "moderation": ("flags", "submitter", "decided_by"),
        "review": ("diff", "duplicates", "story_version"),
    }

    class Meta:
        model = Submission
        fields = [
            "id", "url", "kind", "status", "story", "payload", "note", "moderator_message",
            "revision", "version", "created_at", "updated_at", "decided_at", "tracking_url",
            "flags", "submitter", "decided_by", "diff", "duplicates", "story_version",
        ]  # fmt: skip
        read_only_fields = [
            "id", "note", "moderator_message", "revision", "version",
            "created_at", "updated_at", "decided_at",
        ]  # fmt: skip

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        shown = self.context.get("shown")
        if shown is None:  # Schema generation: every key is documented.
            return fields
        for group, names in self.OPTIONAL.items():
            if group not in shown:
                for name in names:
                    fields.pop(name, None)
        return fields


class ApprovedSubmissionSerializer(SubmissionSerializer):
    story_url = serializers.URLField(
        read_only=True, help_text="The published story in the API (`/api/v1/stories/{slug}/`)."
    )

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "story_url"]


class ApproveSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_MESSAGE,
        help_text="A message for the submitter.",
    )
    verified = serializers.ChoiceField(
        choices=Verification.choices,
        required=False,
        help_text="Checked against the source, or taken from a public listing only.",
    )
    story_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            "For an edit: the story version your diff was made against (default: the "
            "version the edit was proposed on). A different current version is a 409."
        ),
    )


class RejectSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=MAX_MESSAGE, help_text="Why it is rejected (the submitter sees it)."
    )


class RequestChangesSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    message = serializers.CharField(
        max_length=MAX_MESSAGE, help_text="What should change (the submitter sees it)."
    )


class StoryRetractSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=MAX_MESSAGE, help_text="Why the story comes off the site (kept in the log)."
    )
