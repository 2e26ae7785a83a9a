"""Web forms for submissions and moderation, and their mapping to the story JSON form.

The forms check sizes and shapes; the story-file rules themselves live in
services.check_payload, whose problems are mapped back onto the fields here.
"""

import re
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm

from apps.catalog.models import (
    Component,
    ImpactKind,
    Mitigation,
    Platform,
    SourceKind,
    Verification,
)
from apps.core.limits import (
    MAX_EMAIL,
    MAX_LINK_NOTE,
    MAX_MESSAGE,
    MAX_ORGANIZATION,
    MAX_SOURCES,
    MAX_SUBMISSION_NOTE,
    MAX_SUMMARY,
    MAX_SYMPTOM,
    MAX_SYMPTOMS,
    MAX_TITLE,
    MAX_UPSTREAM,
    MAX_URL,
)
from apps.submissions import abuse
from apps.submissions.models import SubmissionKind, SubmissionStatus

# A textarea holds a list: one item a line, with room for the line breaks (and a note).
MAX_UPSTREAM_TEXT = MAX_UPSTREAM * (MAX_URL + MAX_LINK_NOTE + 10)
MAX_SYMPTOMS_TEXT = MAX_SYMPTOMS * (MAX_SYMPTOM + 2)
SOURCES_SHOWN = 3

# "URL", "URL — note", "URL - note" or "URL note": the note is whatever follows the URL.
UPSTREAM_LINE_RE = re.compile(r"^(?P<url>\S+)(?:\s+(?:[\u2014\u2013-]+\s*)?(?P<note>.*))?$")
# The line breaks a textarea sends. str.splitlines would also split inside a note at
# U+2028, a vertical tab or a form feed, making a bogus entry of the note's end.
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


class HoneypotMixin(forms.Form):
    """A field people never see (bots fill it in) and the signed time the form was shown."""

    # No max_length: an error on a field nobody can see would only confuse.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("started", abuse.form_started_token())

    def bot_signals(self) -> "BotSignals":
        """What the abuse check reads from the form beyond the texts."""
        return {
            "honeypot": self.data.get(self.add_prefix("website"), "") or "",
            "started_token": self.data.get(self.add_prefix("started"), "") or "",
        }


class BotSignals(TypedDict):
    honeypot: str
    started_token: str


class ContactMixin(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=MAX_SUBMISSION_NOTE,
        label="Note to the moderators (optional)",
        help_text="Anything that helps the review; it is not published.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    email = forms.EmailField(
        required=False,
        max_length=MAX_EMAIL,
        label="Your email (optional)",
        help_text="Only to tell you about the review. Never published.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _kind_choices() -> list[tuple[str, str]]:
    return [("", "Choose…"), *SourceKind.choices]


class SourceForm(forms.Form):
    url = forms.CharField(
        required=False,
        max_length=MAX_URL,
        label="URL",
        widget=forms.URLInput(attrs={"data-duplicate-check": "", "inputmode": "url"}),
    )
    kind = forms.ChoiceField(required=False, choices=_kind_choices, label="Kind")
    title = forms.CharField(required=False, max_length=MAX_TITLE, label="Title (optional)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "url" in self.errors:
            return data
        has_url = bool(data.get("url", "").strip())
        if not has_url and (data.get("kind") or data.get("title", "").strip()):
            self.add_error("url", "Give the URL of this source, or clear the row.")
        elif has_url and not data.get("kind"):
            self.add_error("kind", "Choose what kind of source this is.")
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not any(str(data.get(name) or "").strip() for name in ("url", "title"))


class BaseSourceFormSet(BaseFormSet):  # type: ignore[type-arg]
    """The page always sends MAX_SOURCES rows. If its row counts (the management form) are
    missing or damaged, the rows are read as MAX_SOURCES anyway and the form is shown again
    with an error saying so, instead of failing."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        self.damaged = ""
        if data is not None:
            prefix = kwargs.get("prefix") or self.get_default_prefix()
            data, self.damaged = _repaired_counts(data, prefix)
        super().__init__(data, *args, **kwargs)

    def clean(self) -> None:
        if self.damaged:
            raise forms.ValidationError(self.damaged, code="management_form")

    def rows(self) -> list[tuple[int, SourceForm]]:
        """(row index, form) for every row that holds a source, in order."""
        return [(index, form) for index, form in enumerate(self.forms) if not form.is_blank()]


def _repaired_counts(data: Any, prefix: str) -> tuple[Any, str]:
    counts = ManagementForm(data, prefix=prefix)
    if counts.is_valid():
        total = int(counts.cleaned_data[TOTAL_FORM_COUNT] or 0)
        initial = int(counts.cleaned_data[INITIAL_FORM_COUNT] or 0)
        if 1 <= total <= MAX_SOURCES and 0 <= initial <= total:
            return data, ""
    repaired = data.copy()
    repaired[f"{prefix}-{TOTAL_FORM_COUNT}"] = str(MAX_SOURCES)
    repaired[f"{prefix}-{INITIAL_FORM_COUNT}"] = "0"
    return repaired, (
        f"The form arrived without valid row counts ({prefix}-{TOTAL_FORM_COUNT} and "
        f"{prefix}-{INITIAL_FORM_COUNT} must be whole numbers, at most {MAX_SOURCES} rows): "
        "check the sources below and send the form again."
    )


SourceFormSet = formset_factory(
    SourceForm,
    formset=BaseSourceFormSet,
    extra=MAX_SOURCES,
    max_num=MAX_SOURCES,
    absolute_max=MAX_SOURCES,
    validate_max=True,
)


def source_formset(data: Any = None, sources: list[dict[str, str]] | None = None) -> Any:
    """Always MAX_SOURCES rows: the page reveals the empty ones on demand."""
    if data is not None:
        return SourceFormSet(data, prefix="sources")
    return SourceFormSet(initial=sources or None, prefix="sources")


class StoryForm(HoneypotMixin, ContactMixin, forms.Form):
    """Every story field except the sources, which are a formset beside it."""

    title = forms.CharField(max_length=MAX_TITLE, label="Title")
    organization = forms.CharField(
        max_length=MAX_ORGANIZATION,
        label="Organization",
        help_text="Who had the failure and told the story.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    date = forms.CharField(
        max_length=10,
        label="Date",
        help_text="When the story was published: YYYY, YYYY-MM or YYYY-MM-DD.",
        widget=forms.TextInput(attrs={"placeholder": "2021-03", "inputmode": "numeric"}),
    )
    components = forms.MultipleChoiceField(
        label="Components", help_text="The parts of Kubernetes involved."
    )
    symptoms = forms.CharField(
        required=False,
        max_length=MAX_SYMPTOMS_TEXT,
        strip=False,
        label="What you would have seen (optional)",
        help_text="Error messages, log lines, kubectl statuses, events or metric names, exactly "
        f"as the source quotes them: one per line, at most {MAX_SYMPTOMS}.",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    platforms = forms.MultipleChoiceField(
        required=False, label="Platforms", widget=forms.CheckboxSelectMultiple
    )
    impact = forms.MultipleChoiceField(
        required=False, label="Impact", widget=forms.CheckboxSelectMultiple
    )
    upstream = forms.CharField(
        required=False,
        max_length=MAX_UPSTREAM_TEXT,
        label="Upstream issues (optional)",
        help_text="GitHub issues or pull requests that explain or fix the failure, one per "
        "line. Add a note after the URL if you like: “URL — what it fixed”.",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    mitigations = forms.MultipleChoiceField(
        required=False, label="Mitigations (optional)", widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(
        max_length=MAX_SUMMARY,
        label="Summary",
        help_text="What happened, why, and what the team changed, in your own words. Markdown.",
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    field_order = [
        "title", "organization", "date", "components", "symptoms", "platforms", "impact",
        "upstream", "mitigations", "summary", "note", "email", "website", "started",
    ]  # fmt: skip

    def __init__(
        self, *args: Any, mitigation_notes: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Mitigation notes have no field of their own; kept as they were when prefilled.
        self.mitigation_notes = mitigation_notes or {}
        choices = {
            "components": Component.objects.values_list("slug", "name"),
            "platforms": Platform.objects.values_list("slug", "name"),
            "impact": ImpactKind.objects.values_list("slug", "name"),
            "mitigations": Mitigation.objects.values_list("slug", "title"),
        }
        for name, values in choices.items():
            cast(forms.MultipleChoiceField, self.fields[name]).choices = list(values)

    def payload(self, sources: list[dict[str, str]]) -> dict[str, Any]:
        """The story JSON form of what was typed (fields with errors count as empty)."""
        data = getattr(self, "cleaned_data", {})
        return {
            "title": data.get("title", ""),
            "organization": data.get("organization", ""),
            "date": data.get("date", "").strip(),
            "sources": sources,
            "components": list(data.get("components", [])),
            "symptoms": parse_symptoms(data.get("symptoms", "")),
            "platforms": list(data.get("platforms", [])),
            "impact": list(data.get("impact", [])),
            "upstream": parse_upstream(data.get("upstream", "")),
            "mitigations": [
                {"slug": slug, "note": self.mitigation_notes.get(slug, "")}
                for slug in data.get("mitigations", [])
            ],
            "summary": data.get("summary", ""),
        }


def parse_upstream(text: str) -> list[dict[str, str]]:
    entries = []
    for line in LINE_BREAK_RE.split(text):
        match = UPSTREAM_LINE_RE.match(line.strip())
        if match:
            entries.append({"url": match["url"], "note": (match["note"] or "").strip()})
    return entries


def parse_symptoms(text: str) -> list[str]:
    """One symptom per line; blank lines are skipped, the rest is checked as in files."""
    return [line.strip() for line in LINE_BREAK_RE.split(text) if line.strip()]


def upstream_text(upstream: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{entry['url']} — {entry['note']}" if entry.get("note") else entry["url"]
        for entry in upstream
    )


def sources_payload(formset: Any) -> tuple[list[dict[str, str]], list[int]]:
    """The sources typed, and for each the row it came from (to put errors back)."""
    sources, rows = [], []
    for index, form in formset.rows():
        data = form.cleaned_data
        source = {"url": data.get("url", "").strip(), "kind": data.get("kind", "")}
        if data.get("title", "").strip():
            source["title"] = data["title"].strip()
        sources.append(source)
        rows.append(index)
    return sources, rows


def initial_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Initial values of StoryForm for a story in its JSON form."""
    return {
        "title": payload.get("title", ""),
        "organization": payload.get("organization", ""),
        "date": payload.get("date", ""),
        "components": payload.get("components", []),
        "symptoms": "\n".join(payload.get("symptoms", [])),
        "platforms": payload.get("platforms", []),
        "impact": payload.get("impact", []),
        "upstream": upstream_text(payload.get("upstream", [])),
        "mitigations": [m["slug"] for m in payload.get("mitigations", [])],
        "summary": payload.get("summary", ""),
    }


def mitigation_notes(payload: dict[str, Any]) -> dict[str, str]:
    return {m["slug"]: m.get("note", "") for m in payload.get("mitigations", []) if m.get("note")}


SOURCE_PATH_RE = re.compile(r"^sources\[(?P<index>\d+)\](?:\.(?P<part>url|kind|title))?$")
LIST_PATH_RE = re.compile(r"^(?P<name>upstream|mitigations|symptoms)\[(?P<index>\d+)\]")
LINE_NUMBERED = {"upstream", "symptoms"}
PLAIN_FIELDS = {
    "title", "organization", "date", "summary", "components", "symptoms", "platforms", "impact",
    "upstream", "mitigations", "note",
}  # fmt: skip


def apply_problems(
    form: forms.Form, formset: Any, by_field: dict[str, list[str]], rows: list[int]
) -> None:
    """Put the story-file problems (keyed by JSON path) on the fields the person typed in.

    Fields that already have an error keep only that one, so nothing is said twice.
    """
    for path, messages in by_field.items():
        for message in messages:
            _apply_one(form, formset, path, message, rows)


def _add(form: forms.Form, name: str | None, message: str) -> None:
    if name is not None and name in form.errors:
        return
    form.add_error(name, message)


def _apply_one(form: forms.Form, formset: Any, path: str, message: str, rows: list[int]) -> None:
    source = SOURCE_PATH_RE.match(path)
    if source:
        index = int(source["index"])
        row = rows[index] if index < len(rows) else 0
        _add(formset.forms[row], source["part"] or "url", message)
        return
    if path == "sources":
        _add(formset.forms[0], "url", message)
        return
    listed = LIST_PATH_RE.match(path)
    if listed:
        prefix = f"Line {int(listed['index']) + 1}: " if listed["name"] in LINE_NUMBERED else ""
        form.add_error(listed["name"], prefix + message)
        return
    if path in PLAIN_FIELDS:
        _add(form, path, message)
        return
    form.add_error(None, f"{path}: {message}")


@dataclass(frozen=True)
class SummaryError:
    target: str
    label: str
    message: str


def error_summary(form: forms.Form, formset: Any = None) -> list[SummaryError]:
    """Every error on the page, each with the id of the input it is about."""
    found = [SummaryError("", "", str(message)) for message in form.non_field_errors()]
    for name, field in form.fields.items():
        bound = form[name]
        for message in bound.errors:
            target = _first_input_id(form, name, field)
            found.append(SummaryError(target, str(field.label), str(message)))
    if formset is not None:
        for message in formset.non_form_errors():
            found.append(SummaryError(formset.forms[0]["url"].auto_id, "Sources", str(message)))
        for number, row in enumerate(formset.forms, start=1):
            for name in row.fields:
                for message in row[name].errors:
                    label = f"Source {number} {row.fields[name].label}"
                    found.append(SummaryError(row[name].auto_id, label, str(message)))
    return found


def _first_input_id(form: forms.Form, name: str, field: forms.Field) -> str:
    auto_id = form[name].auto_id
    if name == "components":
        return "component-picker"
    if isinstance(field.widget, forms.CheckboxSelectMultiple):
        return f"{auto_id}_0"
    return auto_id


class AddSourceForm(HoneypotMixin, ContactMixin, forms.Form):
    url = forms.CharField(
        max_length=MAX_URL,
        label="URL of the source",
        widget=forms.URLInput(attrs={"data-duplicate-check": "", "inputmode": "url"}),
    )
    kind = forms.ChoiceField(choices=_kind_choices, label="Kind")
    title = forms.CharField(required=False, max_length=MAX_TITLE, label="Title (optional)")
    field_order = ["url", "kind", "title", "note", "email", "website", "started"]

    def source(self) -> dict[str, str]:
        data = self.cleaned_data
        source = {"url": data["url"].strip(), "kind": data["kind"]}
        if data.get("title", "").strip():
            source["title"] = data["title"].strip()
        return source


# Moderation -------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Carries the version the moderator saw, so a stale page gets a conflict."""

    action = "act"
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Several of these forms share a page: their ids must not collide.
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        super().__init__(*args, **kwargs)


class ApproveForm(VersionedForm):
    action = "approve"
    story_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    verified = forms.ChoiceField(
        required=False,
        choices=Verification.choices,
        initial=Verification.SOURCE,
        label="Verification",
        help_text="Did you read the source itself, or only a listing of it?",
    )
    message = forms.CharField(
        required=False,
        max_length=MAX_MESSAGE,
        label="Message to the submitter (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, kind: str = SubmissionKind.NEW, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != SubmissionKind.NEW:
            # An edit keeps the story's verification level.
            del self.fields["verified"]


class RejectForm(VersionedForm):
    action = "reject"
    reason = forms.CharField(
        max_length=MAX_MESSAGE,
        label="Reason (sent to the submitter)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequestChangesForm(VersionedForm):
    action = "request_changes"
    message = forms.CharField(
        max_length=MAX_MESSAGE,
        label="What should change (sent to the submitter)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RetractForm(VersionedForm):
    action = "retract"
    reason = forms.CharField(
        max_length=MAX_MESSAGE,
        label="Why retract this story",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


STATUS_FILTERS = [("all", "All"), *SubmissionStatus.choices]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=STATUS_FILTERS, initial=SubmissionStatus.PENDING
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *SubmissionKind.choices])
    flagged = forms.BooleanField(required=False, label="Flagged only")
    q = forms.CharField(required=False, max_length=200, label="Title contains")
