"""Proposing a story, an edit or an extra source, with a live preview and duplicate hints."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from apps.catalog.models import Story
from apps.catalog.rendering import render_preview
from apps.catalog.slugs import is_slug
from apps.catalog.snapshots import story_snapshot
from apps.catalog.storyfiles.payload import PAYLOAD_FIELDS, record_to_payload
from apps.core.limits import MAX_SOURCES, MAX_URL
from apps.submissions import ratelimit
from apps.submissions.duplicates import Duplicate
from apps.submissions.exceptions import SubmissionConflict, SubmissionInvalid
from apps.submissions.forms import (
    AddSourceForm,
    StoryForm,
    apply_problems,
    error_summary,
    initial_from_payload,
    mitigation_notes,
    source_formset,
    sources_payload,
)
from apps.submissions.models import TRACKING_TOKEN_RE, Submission, SubmissionKind
from apps.submissions.ratelimit import RateLimited
from apps.submissions.services import additional_source_payload, check_payload
from apps.submissions.submitting import submit
from apps.submissions.views.helpers import (
    FormOutdated,
    component_areas,
    conflict_text,
    public_duplicates,
    rate_limited_context,
    too_many_requests,
)

THANKS = (
    "Thank you: your submission is waiting for review. Bookmark this page: its address "
    "is private and the only way back here"
)


def _thanks(submission: Submission) -> str:
    if submission.email:
        return THANKS + " (we will also email you when a moderator has looked at it)."
    return THANKS + "."


def duplicate_message(dup: Duplicate) -> str:
    if dup.story is not None:
        return f"This URL is already a source of the story “{dup.story.title}”."
    return "This URL is already part of a story or submission under review."


class StoryFormPage(TemplateResponseMixin, ContextMixin, View):
    """The story form with its source rows: shown, checked, mapped to a payload, saved.

    Subclasses say which story it edits (its own sources are no duplicates), what it is
    prefilled with, and how it is saved.
    """

    template_name = "submissions/submit.html"
    story: Story | None = None
    submission: Submission | None = None
    revising = False
    rows: list[int]

    def initial_payload(self) -> dict[str, Any]:
        return {}

    def save(self, form: StoryForm, payload: dict[str, Any]) -> Submission:
        """Store it, counted against the rate limit (RateLimited past it)."""
        raise NotImplementedError

    def build_forms(self, data: Any = None) -> tuple[StoryForm, Any]:
        payload = self.initial_payload()
        form = StoryForm(
            data,
            initial=initial_from_payload(payload) if payload else None,
            mitigation_notes=mitigation_notes(payload),
        )
        if self.revising:
            for name in ("email", "website", "started"):
                del form.fields[name]
        return form, source_formset(data, payload.get("sources"))

    def render_forms(
        self, form: StoryForm, formset: Any, status: int = 200, **extra: Any
    ) -> HttpResponse:
        context = self.get_context_data(
            form=form,
            formset=formset,
            errors=error_summary(form, formset) if form.is_bound else [],
            areas=component_areas(),
            selected_components=form["components"].value() or [],
            revising=self.revising,
            story=self.story,
            sources_shown=max([3, *(i + 1 for i, row in enumerate(formset.forms) if _filled(row))]),
            **extra,
        )
        return self.render_to_response(context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formset = self.build_forms()
        return self.render_forms(form, formset)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formset = self.build_forms(request.POST)
        if "preview" in request.POST:
            summary = str(request.POST.get("summary", ""))
            return self.render_forms(form, formset, preview=render_preview(summary))
        payload = self.checked_payload(form, formset)
        if payload is None:
            return self.render_forms(form, formset, status=400)
        try:
            submission = self.save(form, payload)
        except RateLimited as exc:
            response = self.render_forms(form, formset, status=429, **rate_limited_context(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except SubmissionInvalid as exc:
            apply_problems(form, formset, exc.by_field(), self.rows)
            return self.render_forms(form, formset, status=400)
        except SubmissionConflict as exc:
            return self.conflict(form, formset, conflict_text(exc))
        except FormOutdated as exc:
            return self.conflict(form, formset, str(exc))
        messages.success(request, _thanks(submission) if not self.revising else REVISED)
        return redirect(submission.get_tracking_url())

    def conflict(self, form: StoryForm, formset: Any, message: str) -> HttpResponse:
        form.add_error(None, message)
        return self.render_forms(form, formset, status=409)

    def checked_payload(self, form: StoryForm, formset: Any) -> dict[str, Any] | None:
        """The payload if everything checks out; otherwise None with errors on the fields."""
        valid = form.is_valid()
        valid = formset.is_valid() and valid
        sources, self.rows = sources_payload(formset)
        payload = form.payload(sources)
        try:
            checked = check_payload(payload)
        except SubmissionInvalid as exc:
            apply_problems(form, formset, exc.by_field(), self.rows)
            valid = False
        else:
            if valid and not self.changes_anything(record_to_payload(checked)):
                form.add_error(None, "Nothing is changed yet: edit a field, then send it.")
                valid = False
        return payload if self.mark_duplicates(formset, sources) and valid else None

    def changes_anything(self, payload: dict[str, Any]) -> bool:
        return True

    def mark_duplicates(self, formset: Any, sources: list[dict[str, str]]) -> bool:
        """Put a hint on every source row whose URL is known already; True if none is."""
        found = {
            dup.url: dup
            for dup in public_duplicates(
                [s["url"] for s in sources], story=self.story, exclude=self.submission
            )
        }
        for source, index in zip(sources, self.rows, strict=True):
            dup = found.get(source["url"])
            if dup is None:
                continue
            row = formset.forms[index]
            row.duplicate = dup
            row.other_urls = [s["url"] for s in sources if s["url"] not in found]
            if "url" not in row.errors:
                row.add_error("url", duplicate_message(dup))
        return not found


REVISED = "Thank you: your revised submission is back in the queue for review."


def _filled(row: Any) -> bool:
    values = [row[name].value() for name in ("url", "title")]
    return any(str(value or "").strip() for value in values)


class SubmitStoryView(StoryFormPage):
    extra_context = {"heading": "Submit a story"}

    def save(self, form: StoryForm, payload: dict[str, Any]) -> Submission:
        data = form.cleaned_data
        return submit(
            request=self.request,
            payload=payload,
            texts=(data.get("summary", ""), data.get("note", "")),
            note=data.get("note", ""),
            email=data.get("email", ""),
            **form.bot_signals(),
        )


class SuggestEditView(StoryFormPage):
    """The story form prefilled with a published story; the result is an edit to review."""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.edited = self.story = get_object_or_404(Story.objects.public(), slug=kwargs["slug"])
        self.extra_context = {"heading": "Suggest an edit", "story": self.story}

    def initial_payload(self) -> dict[str, Any]:
        if not hasattr(self, "_current"):
            snapshot = story_snapshot(self.edited)
            self._current = {key: snapshot[key] for key in PAYLOAD_FIELDS}
        return self._current

    def changes_anything(self, payload: dict[str, Any]) -> bool:
        return payload != self.initial_payload()

    def save(self, form: StoryForm, payload: dict[str, Any]) -> Submission:
        data = form.cleaned_data
        return submit(
            request=self.request,
            payload=payload,
            texts=(data.get("summary", ""), data.get("note", "")),
            story=self.story,
            note=data.get("note", ""),
            email=data.get("email", ""),
            **form.bot_signals(),
        )


class AddSourceView(TemplateResponseMixin, View):
    """One more source for a published story."""

    template_name = "submissions/add_source.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.story = get_object_or_404(Story.objects.public().for_detail(), slug=kwargs["slug"])

    def render_form(self, form: AddSourceForm, status: int = 200, **extra: Any) -> HttpResponse:
        context = {
            "form": form,
            "story": self.story,
            "errors": error_summary(form) if form.is_bound else [],
            **extra,
        }
        return self.render_to_response(context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        url = str(request.GET.get("url", ""))[:MAX_URL]
        return self.render_form(AddSourceForm(initial={"url": url} if url else None))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AddSourceForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        source = form.source()
        duplicates = public_duplicates([source["url"]])
        if duplicates:
            dup = duplicates[0]
            same = dup.story is not None and dup.story.pk == self.story.pk
            message = "This URL is already a source of this story." if same else None
            form.add_error("url", message or duplicate_message(dup))
            return self.render_form(form, status=400)
        payload = additional_source_payload(self.story, source)
        try:
            check_payload(payload)
        except SubmissionInvalid as exc:
            self.apply_problems(form, exc, len(payload["sources"]) - 1)
            return self.render_form(form, status=400)
        data = form.cleaned_data
        try:
            submission = submit(
                request=request,
                payload=payload,
                texts=(data.get("note", ""),),
                story=self.story,
                kind=SubmissionKind.SOURCE,
                note=data.get("note", ""),
                email=data.get("email", ""),
                **form.bot_signals(),
            )
        except RateLimited as exc:
            response = self.render_form(form, status=429, **rate_limited_context(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except SubmissionInvalid as exc:
            self.apply_problems(form, exc, len(payload["sources"]) - 1)
            return self.render_form(form, status=400)
        messages.success(request, _thanks(submission))
        return redirect(submission.get_tracking_url())

    @staticmethod
    def apply_problems(form: AddSourceForm, exc: SubmissionInvalid, index: int) -> None:
        prefix = f"sources[{index}]"
        names = {
            prefix: "url",
            f"{prefix}.url": "url",
            f"{prefix}.kind": "kind",
            f"{prefix}.title": "title",
            "note": "note",
        }
        for path, problems in exc.by_field().items():
            name = names.get(path)
            for message in problems:
                form.add_error(name, message if name else f"{path}: {message}")


class PreviewView(View):
    """The summary as the site will show it: the sanitized HTML fragment."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            ratelimit.check_helper(request)
        except RateLimited as exc:
            return too_many_requests(exc, "Too many previews.")
        text = str(request.POST.get("summary", ""))
        response = HttpResponse(render_preview(text), content_type="text/html; charset=utf-8")
        add_never_cache_headers(response)
        return response


def _bad_request(text: str) -> HttpResponse:
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


class CheckURLsView(View):
    """Which of the typed source URLs the catalogue knows already, as an HTML fragment."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            ratelimit.check_helper(request)
        except RateLimited as exc:
            return too_many_requests(exc, "Too many duplicate checks.")
        urls = [url for url in request.GET.getlist("url")[:MAX_SOURCES] if len(url) <= MAX_URL]
        slug = request.GET.get("story", "")
        token = request.headers.get("X-Tracking-Token", "")
        # Checked before they reach a query: PostgreSQL refuses NUL, and junk is no key.
        if slug and not is_slug(slug):
            return _bad_request("The story parameter is not a story slug.")
        if token and not TRACKING_TOKEN_RE.match(token):
            return _bad_request("The X-Tracking-Token header is not a tracking token.")
        story = Story.objects.public().filter(slug=slug).first() if slug else None
        submission = Submission.objects.filter(tracking_token=token).first() if token else None
        duplicates = public_duplicates(urls, story=story, exclude=submission)
        known = {dup.url for dup in duplicates}
        others = [url.strip() for url in urls if url.strip() and url.strip() not in known]
        html = render_to_string(
            "submissions/_duplicates.html",
            {"duplicates": duplicates, "other_url": others[0] if others else ""},
            request=request,
        )
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        add_never_cache_headers(response)
        return response
