"""The submitter's private page: status, the moderator's message, history, and revisions."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from apps.core.models import AuditAction, AuditEntry
from apps.submissions import ratelimit
from apps.submissions.forms import StoryForm
from apps.submissions.models import Submission, SubmissionKind, SubmissionStatus
from apps.submissions.services import submission_revise
from apps.submissions.views.helpers import FormOutdated, PrivatePageMixin, payload_view
from apps.submissions.views.submit import StoryFormPage

# Whose action an entry was, in the submitter's words: moderators stay unnamed.
SUBMITTER_ACTIONS = {AuditAction.SUBMITTED, AuditAction.REVISED}


class TrackView(PrivatePageMixin, StoryFormPage):
    """Anyone holding the tracking URL is the submitter; it is the only key."""

    template_name = "submissions/track.html"
    revising = True

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.load(kwargs["token"])

    def load(self, token: str) -> None:
        self.tracked = self.submission = get_object_or_404(
            Submission.objects.select_related("story"), tracking_token=token
        )
        self.story = self.tracked.story if self.tracked.kind != SubmissionKind.NEW else None

    @property
    def can_revise(self) -> bool:
        return self.tracked.status == SubmissionStatus.CHANGES_REQUESTED

    def initial_payload(self) -> dict[str, Any]:
        payload = self.tracked.payload
        return payload if isinstance(payload, dict) else {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        submission = self.tracked
        entries = AuditEntry.objects.filter(submission_id=submission.pk).order_by("at", "pk")
        story = submission.story
        context.update(
            submission=submission,
            sent=payload_view(self.initial_payload()),
            history=[
                (entry, "You" if entry.action in SUBMITTER_ACTIONS else "A moderator")
                for entry in entries
            ],
            can_revise=self.can_revise,
            public_story=story if story is not None and story.is_public else None,
            heading="Revise your submission",
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.can_revise:
            return super().get(request, *args, **kwargs)
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can_revise:
            context = self.get_context_data(
                closed="This submission is not waiting for your changes, so it cannot be revised."
            )
            return self.render_to_response(context, status=409)
        return super().post(request, *args, **kwargs)

    def conflict(self, form: StoryForm, formset: Any, message: str) -> HttpResponse:
        # The service refused: show the submission as it is now, with what the person typed.
        self.load(self.tracked.tracking_token)
        form.add_error(None, message)
        return self.render_forms(form, formset, status=409, closed=message)

    def save(self, form: StoryForm, payload: dict[str, Any]) -> Submission:
        ratelimit.check_submission(self.request)
        try:
            version = int(self.request.POST.get("version", ""))
        except ValueError:
            raise FormOutdated("The form is missing its version; reload the page.") from None
        return submission_revise(
            submission=self.tracked,
            payload=payload,
            expected_version=version,
            note=form.cleaned_data.get("note", ""),
        )
