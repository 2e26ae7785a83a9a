"""API v1 viewsets. Public data is read-only; moderators may edit and retract stories (If-Match)."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.views.generic import TemplateView
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    schema,
    throttle_classes,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.conditional import ConditionalGetMixin, representation_etag, require_if_match
from apps.api.exceptions import Conflict, PreconditionFailed, error_response
from apps.api.expand import StoryExpandBackend, StoryExpandedListSerializer
from apps.api.filters import (
    NameSearchBackend,
    StoryFilterBackend,
    StorySearchBackend,
    check_parameters,
)
from apps.api.permissions import ReadOnlyOrModerator
from apps.api.serializers import (
    ComponentSerializer,
    MitigationDetailSerializer,
    MitigationListSerializer,
    OrganizationSerializer,
    StoryDetailSerializer,
    StoryWriteSerializer,
    UpstreamIssueSerializer,
)
from apps.api.submission_serializers import StoryRetractSerializer
from apps.catalog.cards import with_tags
from apps.catalog.exceptions import StoryNotPublic, StoryVersionConflict
from apps.catalog.filters import (
    ComponentFilterSet,
    MitigationFilterSet,
    StoryFilterSet,
    UpstreamIssueFilterSet,
)
from apps.catalog.models import (
    Component,
    Mitigation,
    Organization,
    Story,
    StoryUpstreamIssue,
    UpstreamIssue,
)
from apps.catalog.services import StoryChanges, story_edit
from apps.catalog.slugs import SLUG_PATTERN
from apps.core.roles import MODERATOR, has_role
from apps.search.facets import STORED_FILTERS, filtered_facet_counts, public_facet_counts
from apps.submissions.exceptions import SubmissionInvalid
from apps.submissions.services import story_retract


class ApiViewSetMixin(ConditionalGetMixin):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        check_parameters(request, self)  # type: ignore[arg-type]


@extend_schema_view(
    list=extend_schema(summary="List and search published stories"),
    retrieve=extend_schema(
        summary="One published story with its sources, upstream and mitigations"
    ),
    update=extend_schema(
        summary="Replace a story's editable fields (moderators; If-Match required)",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    ),
    partial_update=extend_schema(
        summary="Change some of a story's fields (moderators; If-Match required)",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    ),
)
class StoryViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    permission_classes = [ReadOnlyOrModerator]
    filter_backends = [StoryFilterBackend, StorySearchBackend, StoryExpandBackend]
    filterset_class = StoryFilterSet
    # Pages are read through the (status, date, slug) index unless ranked by a search.
    paged_by_slug = True

    def get_queryset(self) -> QuerySet[Story]:
        if self.action == "list":
            return Story.objects.public().for_cards()
        # Moderators edit, and so may read, stories in any status; everyone else sees
        # published stories only.
        if has_role(self.request.user, MODERATOR):
            return Story.objects.for_detail()
        return Story.objects.public().for_detail()

    def paginate_queryset(self, queryset: QuerySet[Story]) -> list[Story] | None:
        """A page of the list, with its stories' tags read at once (the list's serializer
        shows them)."""
        page = super().paginate_queryset(queryset)
        return with_tags(page) if page is not None and self.action == "list" else page

    def known_count(self) -> int | None:
        """A stored total, as the list page has: the whole public catalogue's when nothing
        narrows the list, and that of a few filter values (the filter backends left what
        they applied on the view)."""
        if getattr(self, "searching", True):
            return None
        active = getattr(self, "active_filters", None)
        if active == []:
            return public_facet_counts()["total"]  # type: ignore[no-any-return]
        if active and len(active) <= STORED_FILTERS:
            counts = filtered_facet_counts(self.filtered_stories, active)
            return counts["total"]  # type: ignore[no-any-return]
        return None

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "list":
            return StoryExpandedListSerializer
        if self.action in ("update", "partial_update"):
            return StoryWriteSerializer
        if self.action == "retract":
            return StoryRetractSerializer
        return StoryDetailSerializer

    def etag_version(self, data: Any) -> int | None:
        return data.get("version") if self.action == "retrieve" and isinstance(data, dict) else None

    def _current_etag(self, story: Story) -> str:
        data = StoryDetailSerializer(story, context=self.get_serializer_context()).data
        return representation_etag(data, version=story.version)

    @extend_schema(request=StoryWriteSerializer, responses={200: StoryDetailSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        story = self.get_object()
        expected = require_if_match(request, self._current_etag(story))
        serializer = StoryWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        if "impact" in values:
            values["impacts"] = values.pop("impact")
        try:
            story = story_edit(
                story=story,
                editor=request.user,
                expected_version=expected,
                changes=StoryChanges(**values),
            )
        except StoryVersionConflict:
            raise PreconditionFailed() from None
        return self._current(story)

    @extend_schema(
        summary="Retract a published story: it leaves the site (moderators; If-Match required)",
        description="The story stays in the database and in the audit log, with the reason.",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        request=StoryRetractSerializer,
        responses={200: StoryDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def retract(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        story = self.get_object()
        expected = require_if_match(request, self._current_etag(story))
        body = StoryRetractSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            story_retract(
                story=story,
                moderator=request.user,
                expected_version=expected,
                reason=body.validated_data["reason"],
            )
        except SubmissionInvalid as exc:
            raise ValidationError(exc.by_field()) from None
        except StoryVersionConflict:
            # Changed since the ETag was checked: the client's copy is stale.
            raise PreconditionFailed() from None
        except StoryNotPublic:
            raise Conflict(
                "Only a published story can be retracted.", code="story_not_public"
            ) from None
        return self._current(story)

    def _current(self, story: Story) -> Response:
        fresh = Story.objects.for_detail().get(pk=story.pk)
        data = StoryDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": representation_etag(data, version=fresh.version)})


class ComponentViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    serializer_class = ComponentSerializer
    filter_backends = [DjangoFilterBackend, NameSearchBackend]
    filterset_class = ComponentFilterSet
    search_fields = ("slug", "name", "aliases", "description")

    def get_queryset(self) -> QuerySet[Component]:
        return (
            Component.objects.public()
            .select_related("area")
            .prefetch_related("mitigations")
            .with_public_story_counts()
            # Meta.ordering does not apply to aggregate queries.
            .order_by("area__position", "position", "name")
        )


class MitigationViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filter_backends = [DjangoFilterBackend, NameSearchBackend]
    filterset_class = MitigationFilterSet
    search_fields = ("slug", "title", "body")

    def get_queryset(self) -> QuerySet[Mitigation]:
        return (
            Mitigation.objects.public()
            .prefetch_related(
                "components",
                Prefetch(
                    "stories",
                    queryset=Story.objects.public().order_by("slug"),
                    to_attr="public_stories",
                ),
            )
            .with_public_story_counts()
            .order_by("title")
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return MitigationListSerializer if self.action == "list" else MitigationDetailSerializer


class OrganizationViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Organizations with at least one published story."""

    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    serializer_class = OrganizationSerializer
    filter_backends = [NameSearchBackend]
    search_fields = ("name",)

    def get_queryset(self) -> QuerySet[Organization]:
        return (
            Organization.objects.public()
            .with_public_story_counts()
            .prefetch_related(
                Prefetch(
                    "stories",
                    queryset=Story.objects.public().order_by("slug"),
                    to_attr="public_stories",
                )
            )
            .order_by("name")
        )


class UpstreamIssueViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Upstream issues linked to at least one published story."""

    serializer_class = UpstreamIssueSerializer
    filter_backends = [DjangoFilterBackend, NameSearchBackend]
    filterset_class = UpstreamIssueFilterSet
    search_fields = ("title", "owner", "repo")

    def get_queryset(self) -> QuerySet[UpstreamIssue]:
        public_links = StoryUpstreamIssue.objects.public().select_related("story")
        return (
            UpstreamIssue.objects.public()
            .prefetch_related(
                Prefetch("story_links", queryset=public_links, to_attr="public_links")
            )
            .order_by("tracker", "owner", "repo", "number")
        )


class GuideView(TemplateView):
    """The API guide page (HTML); another method is a 405 in the API's error shape."""

    template_name = "web/api_guide.html"

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = error_response(
            405, "method_not_allowed", f'Method "{request.method}" not allowed.'
        )
        allowed = [m.upper() for m in self.http_method_names if hasattr(self, m)]
        response["Allow"] = ", ".join(allowed)
        return response


@api_view(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@permission_classes([AllowAny])
@authentication_classes([])
@throttle_classes([])
@schema(None)
def not_found(request: Request) -> Response:
    raise NotFound()
