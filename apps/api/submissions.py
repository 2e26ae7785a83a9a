"""Submissions by API: members propose stories and edits; moderators review and decide."""

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import django_filters
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.conditional import representation_etag, require_version_match
from apps.api.exceptions import Conflict
from apps.api.parsers import StrictJSONParser
from apps.api.permissions import IsModerator
from apps.api.schema import AUTHENTICATED_READ
from apps.api.submission_serializers import (
    ApprovedSubmissionSerializer,
    ApproveSerializer,
    RejectSerializer,
    RequestChangesSerializer,
    SubmissionCreateSerializer,
    SubmissionExtrasSerializer,
    SubmissionSerializer,
)
from apps.api.views import ApiViewSetMixin
from apps.catalog.links import canonicalize_url
from apps.catalog.models import Story
from apps.catalog.storyfiles.records import StoryRecord
from apps.core.roles import MODERATOR, has_role
from apps.submissions.duplicates import find_duplicates
from apps.submissions.exceptions import SubmissionConflict, SubmissionInvalid
from apps.submissions.models import Submission, SubmissionKind, SubmissionStatus
from apps.submissions.ratelimit import RateLimited
from apps.submissions.review import review
from apps.submissions.services import (
    check_payload,
    submission_approve,
    submission_reject,
    submission_request_changes,
)
from apps.submissions.submitting import submit
from apps.submissions.wording import Advice, conflict_message

T = TypeVar("T")
EXTRA_KEYS = tuple(SubmissionExtrasSerializer().fields)
SUBMISSION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The submission's id."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the submission from your last GET of it.",
)


# What the API advises after a refused change of a submission.
API_ADVICE = Advice(
    seen="read",
    retry="GET it again and retry.",
    review_again="GET the submission again and send its story_version to approve the new diff.",
    approve_again="approve the submission again.",
)


def conflict_error(exc: SubmissionConflict) -> Conflict:
    """The 409 for a change the workflow refused: the reason as code, and what to do."""
    return Conflict(conflict_message(exc, API_ADVICE), code=exc.reason.value)


@extend_schema_field({"type": "boolean"})
class FlaggedFilter(django_filters.ChoiceFilter):
    """true or false, and nothing else (a boolean filter would ignore other values)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("true", "true"), ("false", "false")], **kwargs)

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "true":
            return qs.flagged()  # type: ignore[attr-defined]
        if value == "false":
            return qs.filter(flags=[])
        return qs


class SubmissionFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SubmissionStatus.choices, label="Status")
    kind = django_filters.MultipleChoiceFilter(choices=SubmissionKind.choices, label="Kind")
    flagged = FlaggedFilter(label="Flagged as suspicious")

    class Meta:
        model = Submission
        fields: list[str] = []


def _duplicate_problems(record: StoryRecord, story: Story | None) -> dict[str, list[str]]:
    """Sources that already belong to another published story: those belong in an edit."""
    index = {canonicalize_url(source.url): i for i, source in enumerate(record.sources)}
    problems: dict[str, list[str]] = {}
    for found in find_duplicates([source.url for source in record.sources]):
        other = found.story
        if other is None or (story is not None and other.pk == story.pk):
            continue
        problems.setdefault(f"sources[{index[found.canonical_url]}].url", []).append(
            f"{found.url} is already a source of the published story “{other.title}” "
            f"({other.slug}); send your change as an edit of that story: "
            f'add "story": "{other.slug}" to the body.'
        )
    return problems


@extend_schema_view(
    list=extend_schema(
        summary="List submissions (moderators)",
        description="Newest first; filter by status, kind and whether they were flagged.",
        responses={200: SubmissionSerializer(many=True)},
        extensions={AUTHENTICATED_READ: True},
    ),
    retrieve=extend_schema(
        summary="One submission (moderators, or the member who sent it)",
        description=(
            "Moderators also get the diff against the current story and duplicate hints. "
            "Anyone else gets 404. The ETag is needed (If-Match) to approve, reject or "
            "request changes."
        ),
        parameters=[SUBMISSION_ID],
        responses={200: SubmissionSerializer},
        extensions={AUTHENTICATED_READ: True},
    ),
)
class SubmissionViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Proposed stories and edits. Members send them; moderators review and decide."""

    lookup_value_regex = "[0-9]+"
    parser_classes = [StrictJSONParser]
    serializer_class = SubmissionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SubmissionFilterSet

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "approve", "reject", "request_changes"):
            return [IsModerator()]
        return [IsAuthenticated()]

    @cached_property
    def is_moderator(self) -> bool:
        return has_role(self.request.user, MODERATOR)

    def get_queryset(self) -> QuerySet[Submission]:
        submissions = Submission.objects.for_queue()
        if self.is_moderator:
            return submissions
        # Not a moderator: only your own; anything else is a 404, never a 403.
        return submissions.filter(submitter_id=self.request.user.pk)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # Lists are for moderators, and never carry tracking URLs or review hints.
        context = {**self.get_serializer_context(), "shown": {"moderation"}}
        data = SubmissionSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def represent(self, submission: Submission) -> dict[str, Any]:
        """One submission as this reader may see it."""
        shown = set()
        if submission.submitter_id is not None and submission.submitter_id == self.request.user.pk:
            shown.add("tracking")
            submission.tracking_url = f"{settings.SITE_URL}{submission.get_tracking_url()}"  # type: ignore[attr-defined]
        if self.is_moderator:
            shown |= {"moderation", "review"}
            self._attach_review(submission)
        context = {**self.get_serializer_context(), "shown": shown}
        return dict(SubmissionSerializer(submission, context=context).data)

    def _attach_review(self, submission: Submission) -> None:
        checked = review(submission)
        submission.diff = checked.changes  # type: ignore[attr-defined]
        submission.story_version = checked.story_version  # type: ignore[attr-defined]
        submission.duplicates = checked.duplicates  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.represent(self.get_object()))

    def etag_version(self, data: Any) -> int | None:
        return data.get("version") if self.action == "retrieve" and isinstance(data, dict) else None

    @extend_schema(
        summary="Propose a story, or an edit to a published story (members)",
        description=(
            "The body is the story's JSON form (the story-file keys and `summary`), plus "
            "optional `story` (the slug of a published story: an edit proposal), `note` and "
            "`email`. Problems are reported under their JSON path, e.g. `sources[0].url`. "
            "A source URL of another published story is refused: send an edit of that story. "
            "Submissions are rate-limited per account and per network address (429)."
        ),
        request=SubmissionCreateSerializer,
        responses={201: SubmissionSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError("Send a JSON object with the story-file keys.")
        extras = SubmissionExtrasSerializer(data={k: body[k] for k in EXTRA_KEYS if k in body})
        problems: dict[str, list[str]] = {}
        if not extras.is_valid():
            problems.update({name: [str(m) for m in msgs] for name, msgs in extras.errors.items()})
        payload = {key: value for key, value in body.items() if key not in EXTRA_KEYS}
        record = None
        try:
            record = check_payload(payload)
        except SubmissionInvalid as exc:
            problems.update(exc.by_field())
        if problems or record is None:
            raise ValidationError(problems)
        values = extras.validated_data
        story = values.get("story")
        duplicates = _duplicate_problems(record, story)
        if duplicates:
            raise ValidationError(duplicates)
        # Counted only once the body is valid, so fixing a typo does not use up the limit.
        note = values.get("note", "")
        try:
            submission = submit(
                request=request._request,
                payload=payload,
                texts=(record.summary, note),
                story=story,
                note=note,
                email=values.get("email", ""),
            )
        except RateLimited as exc:
            raise Throttled(
                wait=exc.retry_after,
                detail="Too many submissions from your account or network address.",
            ) from None
        except SubmissionInvalid as exc:
            raise ValidationError(exc.by_field()) from None
        fresh = Submission.objects.for_queue().get(pk=submission.pk)
        data = self.represent(fresh)
        location = request.build_absolute_uri(
            reverse("api:submission-detail", kwargs={"pk": fresh.pk})
        )
        return Response(
            data,
            status=status.HTTP_201_CREATED,
            headers={
                "Location": location,
                "ETag": representation_etag(data, version=fresh.version),
            },
        )

    def _decide(
        self,
        request: Request,
        body_class: type[serializers.Serializer[Any]],
        decide: Callable[[Submission, int, dict[str, Any]], T],
    ) -> tuple[Submission, T]:
        """If-Match, body, then the service; answers 409 for a conflict it reports."""
        submission = self.get_object()
        expected = require_version_match(request, submission.version)
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = decide(submission, expected, body.validated_data)
        except SubmissionConflict as exc:
            raise conflict_error(exc) from None
        except SubmissionInvalid as exc:
            raise ValidationError(exc.by_field()) from None
        return Submission.objects.for_queue().get(pk=submission.pk), result

    def _decided(self, submission: Submission, **extra: Any) -> Response:
        data = self.represent(submission)
        etag = representation_etag(data, version=submission.version)
        return Response({**data, **extra}, headers={"ETag": etag})

    @extend_schema(
        summary="Approve: publish the new story, or apply the edit (moderators)",
        description=(
            "Needs If-Match with the submission's ETag. Publishes at once; the response "
            "links the story. A stale ETag is a 412; a submission that is no longer "
            "pending, or an edit whose story changed since the diff, is a 409."
        ),
        parameters=[SUBMISSION_ID, IF_MATCH],
        request=ApproveSerializer,
        responses={200: ApprovedSubmissionSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        def decide(submission: Submission, expected: int, values: dict[str, Any]) -> Story:
            return submission_approve(
                submission=submission,
                moderator=request.user,
                expected_version=expected,
                expected_story_version=values.get("story_version"),
                verified=values.get("verified"),
                message=values.get("message", ""),
            )

        # All or nothing: if the answer cannot be made, nothing is published.
        with transaction.atomic():
            submission, story = self._decide(request, ApproveSerializer, decide)
            story_url = request.build_absolute_uri(
                reverse("api:story-detail", kwargs={"slug": story.slug})
            )
            return self._decided(submission, story_url=story_url)

    @extend_schema(
        summary="Reject with a reason (moderators)",
        description="Needs If-Match with the submission's ETag. The submitter sees the reason.",
        parameters=[SUBMISSION_ID, IF_MATCH],
        request=RejectSerializer,
        responses={200: SubmissionSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        def decide(submission: Submission, expected: int, values: dict[str, Any]) -> Submission:
            return submission_reject(
                submission=submission,
                moderator=request.user,
                expected_version=expected,
                reason=values["reason"],
            )

        submission, _ = self._decide(request, RejectSerializer, decide)
        return self._decided(submission)

    @extend_schema(
        summary="Send back to the submitter for changes (moderators)",
        description=(
            "Needs If-Match with the submission's ETag. The submitter sees the message and "
            "may revise the submission on its tracking page."
        ),
        parameters=[SUBMISSION_ID, IF_MATCH],
        request=RequestChangesSerializer,
        responses={200: SubmissionSerializer},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str | None = None) -> Response:
        def decide(submission: Submission, expected: int, values: dict[str, Any]) -> Submission:
            return submission_request_changes(
                submission=submission,
                moderator=request.user,
                expected_version=expected,
                message=values["message"],
            )

        submission, _ = self._decide(request, RequestChangesSerializer, decide)
        return self._decided(submission)
