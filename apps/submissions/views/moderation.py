"""Moderators' pages: the queue, the review page with its actions, and retracting a story."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import ListView, TemplateView

from apps.catalog.exceptions import StoryNotPublic, StoryVersionConflict
from apps.catalog.models import Story
from apps.core.models import AuditEntry
from apps.core.querystrings import with_params
from apps.submissions.exceptions import SubmissionConflict, SubmissionInvalid
from apps.submissions.forms import (
    STATUS_FILTERS,
    ApproveForm,
    QueueFilterForm,
    RejectForm,
    RequestChangesForm,
    RetractForm,
    VersionedForm,
)
from apps.submissions.models import Submission, SubmissionKind, SubmissionStatus
from apps.submissions.review import review
from apps.submissions.services import (
    story_retract,
    submission_approve,
    submission_reject,
    submission_request_changes,
)
from apps.submissions.views.helpers import (
    ModeratorRequiredMixin,
    PrivatePageMixin,
    conflict_text,
    payload_view,
)

EARLIER_SHOWN = 20


class QueueView(ModeratorRequiredMixin, PrivatePageMixin, ListView):  # type: ignore[type-arg]
    """Submissions to review, filtered by status, kind, flags and title, newest first."""

    template_name = "submissions/queue.html"
    context_object_name = "submissions"
    paginate_by = 25

    def get_queryset(self) -> Any:
        self.filters = QueueFilterForm(self.request.GET)
        data = self.filters.cleaned_data if self.filters.is_valid() else {}
        self.status = data.get("status") or SubmissionStatus.PENDING
        self.flagged_only = bool(data.get("flagged"))
        base = Submission.objects.all()
        if data.get("kind"):
            base = base.filter(kind=data["kind"])
        if data.get("q"):
            base = base.filter(payload__title__icontains=data["q"])
        self.base = base
        queryset = base if self.status == "all" else base.filter(status=self.status)
        if self.flagged_only:
            queryset = queryset.flagged()
        return queryset.for_queue()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        scope = self.base.flagged() if self.flagged_only else self.base
        counts = scope.values("status").annotate(n=Count("pk")).order_by()
        by_status = {row["status"]: row["n"] for row in counts}
        status_links = [
            (
                label,
                sum(by_status.values()) if value == "all" else by_status.get(value, 0),
                with_params(params, status=None if value == SubmissionStatus.PENDING else value),
                value == self.status,
            )
            for value, label in STATUS_FILTERS
        ]
        flagged_scope = self.base if self.status == "all" else self.base.filter(status=self.status)
        context.update(
            filters=self.filters,
            status=self.status,
            status_links=status_links,
            flagged_only=self.flagged_only,
            flagged_count=flagged_scope.flagged().count(),
            flagged_link=with_params(params, flagged=None if self.flagged_only else "1"),
            kinds=SubmissionKind.choices,
        )
        return context


ACTION_FORMS: dict[str, type[VersionedForm]] = {
    "approve": ApproveForm,
    "reject": RejectForm,
    "request_changes": RequestChangesForm,
}
SUCCESS = {
    "approve": "Approved and published.",
    "reject": "Rejected; the submitter can read your reason on their tracking page.",
    "request_changes": "Sent back to the submitter for changes.",
}


class ReviewView(ModeratorRequiredMixin, PrivatePageMixin, TemplateView):
    """Everything a moderator needs to decide on one submission, and the forms to decide."""

    template_name = "submissions/review.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.pk = kwargs["pk"]

    def load(self) -> Submission:
        return get_object_or_404(Submission.objects.for_queue(), pk=self.pk)

    def action_forms(
        self, submission: Submission, story_version: int | None, bound: VersionedForm | None
    ) -> dict[str, VersionedForm]:
        initial = {"version": submission.version, "story_version": story_version}
        forms: dict[str, VersionedForm] = {
            "approve": ApproveForm(initial=initial, kind=submission.kind),
            "reject": RejectForm(initial=initial),
            "request_changes": RequestChangesForm(initial=initial),
        }
        if bound is not None:
            forms[bound.action] = bound  # type: ignore[attr-defined]
        return forms

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        submission = self.load()
        payload = submission.payload if isinstance(submission.payload, dict) else {}
        story = submission.story
        checked = review(submission)
        log = Q(submission_id=submission.pk)
        if story is not None:
            log |= Q(story_id=story.pk)
        context.update(
            submission=submission,
            sent=payload_view(payload),
            changes=checked.changes,
            compared_with_current=checked.compared_with_current,
            story_changed=checked.story_changed,
            duplicates=checked.duplicates,
            earlier=Submission.objects.from_same_submitter(submission).select_related("story")[
                :EARLIER_SHOWN
            ],
            log=AuditEntry.objects.filter(log).order_by("at", "pk"),
            forms=self.action_forms(submission, checked.story_version, kwargs.get("bound")),
            can_approve=submission.status == SubmissionStatus.PENDING,
            can_reject=submission.is_open,
        )
        bound = kwargs.get("bound")
        shown = {
            "approve": context["can_approve"],
            "request_changes": context["can_approve"],
            "reject": context["can_reject"],
        }
        if bound is not None and not shown[bound.action] and bound.non_field_errors():
            # The form is gone with the state that allowed it: say why at the top instead.
            context["problem"] = " ".join(bound.non_field_errors())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = str(request.POST.get("action", ""))
        if action not in ACTION_FORMS:
            return self.render_to_response(
                self.get_context_data(problem="Unknown action."), status=400
            )
        submission = self.load()
        if action == "approve":
            form: VersionedForm = ApproveForm(request.POST, kind=submission.kind)
        else:
            form = ACTION_FORMS[action](request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(bound=form), status=400)
        try:
            self.perform(action, submission, form.cleaned_data)
        except SubmissionConflict as exc:
            form.add_error(None, conflict_text(exc))
            return self.render_to_response(self.get_context_data(bound=form), status=409)
        except SubmissionInvalid as exc:
            for problem in exc.problems:
                form.add_error(None, f"{problem.field}: {problem.message}")
            return self.render_to_response(self.get_context_data(bound=form), status=422)
        messages.success(request, SUCCESS[action])
        return redirect(submission.get_review_url())

    def perform(self, action: str, submission: Submission, data: dict[str, Any]) -> None:
        moderator = self.request.user
        version = data["version"]
        if action == "approve":
            submission_approve(
                submission=submission,
                moderator=moderator,
                expected_version=version,
                expected_story_version=(
                    data.get("story_version") if submission.kind != SubmissionKind.NEW else None
                ),
                verified=data.get("verified") or None,
                message=data.get("message", ""),
            )
        elif action == "reject":
            submission_reject(
                submission=submission,
                moderator=moderator,
                expected_version=version,
                reason=data["reason"],
            )
        else:
            submission_request_changes(
                submission=submission,
                moderator=moderator,
                expected_version=version,
                message=data["message"],
            )


RETRACT_CONFLICTS = {
    StoryVersionConflict: "The story changed since you opened it; reload it before retracting.",
    StoryNotPublic: "Only a published story can be retracted.",
}


class RetractView(ModeratorRequiredMixin, PrivatePageMixin, TemplateView):
    """Take a published story off the site, saying why."""

    template_name = "submissions/retract.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.slug = kwargs["slug"]

    def story(self) -> Story:
        story = Story.objects.public().filter(slug=self.slug).first()
        if story is None:
            raise Http404("No published story here.")
        return story

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        story = self.story()
        form = RetractForm(initial={"version": story.version})
        return self.render_to_response(self.get_context_data(story=story, form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        story = get_object_or_404(Story, slug=self.slug)
        form = RetractForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(story=story, form=form), status=400
            )
        try:
            story_retract(
                story=story,
                moderator=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except (StoryVersionConflict, StoryNotPublic) as exc:
            form.add_error(None, RETRACT_CONFLICTS[type(exc)])
            return self.render_to_response(
                self.get_context_data(story=story, form=form), status=409
            )
        except SubmissionInvalid as exc:
            for problem in exc.problems:
                form.add_error(None, problem.message)
            return self.render_to_response(
                self.get_context_data(story=story, form=form), status=400
            )
        messages.success(request, f"“{story.title}” is retracted and no longer public.")
        return redirect("submissions:queue")
