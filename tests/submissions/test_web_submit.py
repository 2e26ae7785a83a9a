"""The submission form: validation, duplicate hints, preview, anti-abuse and rate limits."""

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.catalog.models import Story
from apps.catalog.storyfiles.payload import record_to_payload
from apps.submissions.models import Submission, SubmissionKind, SubmissionStatus
from apps.submissions.services import check_payload, submission_create
from tests.factories import SourceFactory, StoryFactory
from tests.submissions.conftest import make_payload
from tests.submissions.webforms import (
    XSS,
    XSS_MARKDOWN,
    assert_no_live_markup,
    form_data,
    started,
    submit,
    submit_ok,
    text,
)

pytestmark = pytest.mark.django_db


# --- the form --------------------------------------------------------------------------


def test_the_form_has_every_story_field(client: Client, taxonomy: None) -> None:
    response = client.get(reverse("submissions:submit"))
    assert response.status_code == 200
    html = text(response)
    for name in ["title", "organization", "date", "upstream", "summary", "note", "email"]:
        assert f'name="{name}"' in html
    assert html.count('name="sources-') >= 30  # ten rows of url, kind, title
    assert 'name="components" value="coredns"' in html
    assert 'data-terms="coredns coredns' in html
    assert 'name="platforms" value="aws"' in html
    assert 'name="impact" value="outage"' in html
    assert 'name="mitigations" value="node-local-dns"' in html
    # The honeypot is hidden from people and from assistive technology.
    assert re.search(r'<div class="hp" aria-hidden="true">', html)
    assert re.search(r'<input type="text" name="website" tabindex="-1" autocomplete="off"', html)
    assert 'name="started" value="' in html
    assert 'data-preview-url="/submit/preview/"' in html
    assert "Submit a story" in html


def test_valid_submission_lands_on_its_tracking_page(client: Client, taxonomy: None) -> None:
    response = submit(client, email="me@example.org", note="First time here.")
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == submission.get_tracking_url()
    assert submission.kind == SubmissionKind.NEW
    assert submission.status == SubmissionStatus.PENDING
    assert submission.payload == record_to_payload(check_payload(make_payload()))
    assert submission.email == "me@example.org"
    assert submission.note == "First time here."
    assert submission.flags == []
    page = client.get(response["Location"])
    assert "Bookmark this page" in text(page)
    assert not Story.objects.exists()


def test_sources_in_any_rows_are_kept_in_order(client: Client, taxonomy: None) -> None:
    data = form_data()
    data.update(
        {
            "sources-0-url": "",
            "sources-0-kind": "",
            "sources-4-url": "https://talks.example.org/coredns",
            "sources-4-kind": "talk",
            "sources-4-title": "The talk",
            "sources-7-url": "https://blog.example.org/coredns-oom",
            "sources-7-kind": "postmortem",
        }
    )
    response = client.post(reverse("submissions:submit"), data)
    assert response.status_code == 302
    assert Submission.objects.get().payload["sources"] == [
        {"url": "https://talks.example.org/coredns", "kind": "talk", "title": "The talk"},
        {"url": "https://blog.example.org/coredns-oom", "kind": "postmortem", "title": ""},
    ]


def test_errors_name_the_fields_and_keep_the_input(client: Client, taxonomy: None) -> None:
    data = form_data(
        title="A title worth keeping",
        date="2099-01",
        components=[],
        upstream="not a url — the note",
        summary="My **long** summary that must not be lost.",
    )
    data["sources-2-url"] = "ftp://example.org/file"
    data["sources-2-kind"] = "talk"
    response = client.post(reverse("submissions:submit"), data)
    assert response.status_code == 400
    html = text(response)
    assert not Submission.objects.exists()
    # The summary at the top links to each field with a problem.
    assert 'id="error-summary"' in html
    assert 'href="#id_date">Date: is in the future' in html
    assert 'href="#component-picker">Components:' in html
    assert 'href="#id_upstream">Upstream issues (optional): Line 1:' in html
    assert 'href="#id_sources-2-url">Source 3 URL:' in html
    # Each field carries its own message, tied to it for screen readers.
    assert 'id="id_date_error"' in html
    assert re.search(r'<input[^>]*name="date"[^>]*aria-invalid="true"', html)
    assert re.search(r'aria-describedby="id_date_helptext id_date_error"', html)
    assert 'id="id_sources-2-url_error"' in html
    # What was typed is still there.
    assert 'value="A title worth keeping"' in html
    assert "My **long** summary that must not be lost." in html
    assert 'value="ftp://example.org/file"' in html
    assert 'name="components" value="coredns"' in html


def test_source_without_kind_and_kind_without_url(client: Client, taxonomy: None) -> None:
    data = form_data()
    data["sources-0-kind"] = ""
    data["sources-1-kind"] = "talk"
    response = client.post(reverse("submissions:submit"), data)
    assert response.status_code == 400
    html = text(response)
    assert "Choose what kind of source this is." in html
    assert "Give the URL of this source, or clear the row." in html


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", 300), ("organization", 200), ("summary", 20_000), ("note", 2000)],
)
def test_every_field_has_a_maximum_size(
    client: Client, taxonomy: None, field: str, limit: int
) -> None:
    response = submit(client, **{field: "x" * (limit + 1)})
    assert response.status_code == 400
    assert f"Ensure this value has at most {limit} characters" in text(response)
    assert not Submission.objects.exists()


def test_source_fields_have_maximum_sizes(client: Client, taxonomy: None) -> None:
    data = form_data()
    data["sources-0-title"] = "t" * 301
    data["sources-1-url"] = "https://example.org/" + "a" * 1000
    data["sources-1-kind"] = "talk"
    data["email"] = "a" * 250 + "@example.org"
    response = client.post(reverse("submissions:submit"), data)
    assert response.status_code == 400
    html = text(response)
    assert html.count("Ensure this value has at most") >= 3
    assert not Submission.objects.exists()


def test_xss_in_the_form_is_escaped_when_shown_again(client: Client, taxonomy: None) -> None:
    data = form_data(
        title=XSS, organization=XSS, note=XSS, email=f"{XSS}@example.org", summary=XSS_MARKDOWN
    )
    data["sources-0-title"] = XSS
    data["upstream"] = f"https://github.com/coredns/coredns/issues/1 — {XSS}"
    data["date"] = "soon"  # keep it invalid, so the form is shown again
    response = client.post(reverse("submissions:submit"), data)
    assert response.status_code == 400
    assert_no_live_markup(text(response))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(response)


# --- duplicates ---------------------------------------------------------------------------


def test_duplicate_of_a_published_story_is_refused_with_a_way_forward(
    client: Client, published_story: Story
) -> None:
    SourceFactory(story=published_story, url="https://blog.example.org/etcd-space")
    data = form_data()
    data["sources-1-url"] = "https://blog.example.org/etcd-space?utm_source=feed"
    data["sources-1-kind"] = "blog-post"
    response = client.post(reverse("submissions:submit"), data)
    assert response.status_code == 400
    html = text(response)
    assert "This URL is already a source of the story “etcd ran out of space”." in html
    assert 'href="#id_sources-1-url">Source 2 URL: This URL is already a source' in html
    add_source = reverse("submissions:add-source", kwargs={"slug": published_story.slug})
    assert f'href="{add_source}?url=https%3A//blog.example.org/coredns-oom"' in html
    assert "as an additional source for that story" in html
    assert not Submission.objects.exists()


def test_duplicate_of_an_open_submission_says_only_under_review(
    client: Client, taxonomy: None
) -> None:
    submission_create(payload=make_payload(title="Someone else's secret title"))
    response = submit(client)
    assert response.status_code == 400
    html = text(response)
    assert "already part of a story or submission under review" in html
    assert "secret title" not in html
    assert Submission.objects.count() == 1


def test_duplicate_of_an_unpublished_story_is_not_named(client: Client, taxonomy: None) -> None:
    draft = StoryFactory(title="Draft story title", status=Story.Status.DRAFT, sources=False)
    SourceFactory(story=draft, url="https://blog.example.org/coredns-oom")
    response = submit(client)
    assert response.status_code == 400
    html = text(response)
    assert "under review" in html
    assert "Draft story title" not in html
    assert draft.slug not in html


def test_check_urls_lists_matches_as_a_fragment(client: Client, published_story: Story) -> None:
    SourceFactory(story=published_story, url="https://blog.example.org/etcd-space")
    submission_create(payload=make_payload(title="Pending secret"))
    hidden = StoryFactory(title="Retracted secret", status=Story.Status.RETRACTED, sources=False)
    SourceFactory(story=hidden, url="https://blog.example.org/retracted")
    response = client.get(
        reverse("submissions:check-urls"),
        {
            "url": [
                "https://blog.example.org/etcd-space/",
                "https://blog.example.org/coredns-oom",
                "https://blog.example.org/retracted",
                "https://blog.example.org/brand-new",
            ]
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html
    assert f'href="{published_story.get_absolute_url()}">etcd ran out of space</a>' in html
    add_source = reverse("submissions:add-source", kwargs={"slug": published_story.slug})
    assert f"{add_source}?url=https%3A//blog.example.org/brand-new" in html
    assert html.count("under review") == 2
    assert "Pending secret" not in html
    assert "Retracted secret" not in html
    assert "no-store" in response["Cache-Control"]


def test_check_urls_with_nothing_known_is_empty(client: Client, taxonomy: None) -> None:
    response = client.get(reverse("submissions:check-urls"), {"url": "https://new.example.org/x"})
    assert response.status_code == 200
    assert text(response).strip() == ""


def test_check_urls_ignores_the_story_being_edited(client: Client, published_story: Story) -> None:
    source = published_story.sources.get()
    response = client.get(
        reverse("submissions:check-urls"), {"url": source.url, "story": published_story.slug}
    )
    assert text(response).strip() == ""


def test_check_urls_and_preview_are_rate_limited(
    client: Client, taxonomy: None, settings: Any
) -> None:
    settings.SUBMISSION_HELPER_RATE = "2/min"
    for _ in range(2):
        assert client.get(reverse("submissions:check-urls")).status_code == 200
    limited = client.get(reverse("submissions:check-urls"))
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    preview = client.post(reverse("submissions:preview"), {"summary": "hi"})
    assert preview.status_code == 429
    assert int(preview["Retry-After"]) >= 1


# --- preview ------------------------------------------------------------------------------


def test_preview_renders_markdown_and_strips_scripts(client: Client) -> None:
    response = client.post(reverse("submissions:preview"), {"summary": XSS_MARKDOWN})
    assert response.status_code == 200
    html = text(response)
    assert "<strong>bold</strong>" in html
    assert "&lt;script&gt;" in html
    assert_no_live_markup(html)
    assert "javascript" not in html.replace("[click](javascript:alert(1))", "")


def test_preview_of_a_pathological_summary_is_quick_and_says_it_would_be_refused(
    client: Client,
) -> None:
    started = time.perf_counter()
    response = client.post(reverse("submissions:preview"), {"summary": "[" * 19_000})
    assert time.perf_counter() - started < 1
    html = text(response)
    assert "The summary uses 19,000 Markdown markup characters" in html
    assert "[" * 19_000 in html


def test_a_summary_over_the_markup_cap_is_refused_by_name(client: Client, taxonomy: None) -> None:
    response = submit(client, summary="![" * 2_000)
    assert response.status_code == 400
    assert "uses 4,000 Markdown markup characters" in text(response)
    assert not Submission.objects.exists()


def test_preview_needs_post_and_the_csrf_token(client: Client) -> None:
    assert client.get(reverse("submissions:preview")).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("submissions:preview"), {"summary": "x"}).status_code == 403


# --- abuse --------------------------------------------------------------------------------


def test_honeypot_submissions_are_kept_and_flagged(client: Client, taxonomy: None) -> None:
    submission = submit_ok(client, website="https://spam.example.com")
    assert submission.flags == ["The hidden field that people cannot see was filled in."]


def test_too_fast_submissions_are_kept_and_flagged(
    client: Client, taxonomy: None, settings: Any
) -> None:
    settings.SUBMISSION_MIN_SECONDS = 5
    submission = submit_ok(client, started=started(seconds_ago=1))
    assert len(submission.flags) == 1
    assert re.match(r"Sent [12] s after the form was opened \(minimum 5 s\)", submission.flags[0])


def test_missing_or_forged_timestamp_is_flagged(client: Client, taxonomy: None) -> None:
    submission = submit_ok(client, started="forged")
    assert submission.flags == ["The form's timestamp was missing or had been altered."]


def test_rate_limit_answers_429_and_keeps_the_input(
    client: Client, taxonomy: None, settings: Any
) -> None:
    settings.SUBMISSION_RATE_PER_IP = "2/hour"
    for number in range(2):
        payload = make_payload(
            sources=[{"url": f"https://blog.example.org/story-{number}", "kind": "postmortem"}]
        )
        submit_ok(client, payload)
    payload = make_payload(
        title="The third one",
        sources=[{"url": "https://blog.example.org/story-3", "kind": "postmortem"}],
    )
    response = submit(client, payload)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    html = text(response)
    assert "Too many submissions from your network" in html
    assert 'value="The third one"' in html
    assert Submission.objects.count() == 2


def test_invalid_forms_do_not_use_up_the_rate_limit(
    client: Client, taxonomy: None, settings: Any
) -> None:
    settings.SUBMISSION_RATE_PER_IP = "1/hour"
    for _ in range(3):
        assert submit(client, date="nope").status_code == 400
    submit_ok(client)


# --- edits and extra sources --------------------------------------------------------------


def test_suggest_edit_is_prefilled_and_creates_an_edit(
    client: Client, published_story: Story
) -> None:
    url = reverse("submissions:suggest-edit", kwargs={"slug": published_story.slug})
    response = client.get(url)
    assert response.status_code == 200
    html = text(response)
    assert 'value="etcd ran out of space"' in html
    assert f'value="{published_story.sources.get().url}"' in html
    source = published_story.sources.get()
    payload = make_payload(
        title="etcd ran out of disk space",
        organization=published_story.organization.name,
        date="2020-05",
        sources=[{"url": source.url, "kind": source.kind}],
        components=["dns"],
    )
    response = client.post(url, form_data(payload))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.kind == SubmissionKind.EDIT
    assert submission.story == published_story
    assert submission.base_version == published_story.version
    assert submission.payload["title"] == "etcd ran out of disk space"


def test_suggest_edit_without_changes_is_refused(client: Client, published_story: Story) -> None:
    url = reverse("submissions:suggest-edit", kwargs={"slug": published_story.slug})
    source = published_story.sources.get()
    payload = make_payload(
        title=published_story.title,
        organization=published_story.organization.name,
        date="2020-05",
        sources=[{"url": source.url, "kind": source.kind}],
        components=["dns"],
        platforms=[],
        impact=[],
        upstream=[],
        mitigations=[],
        summary=published_story.summary,
    )
    response = client.post(url, form_data(payload))
    assert response.status_code == 400
    assert "Nothing is changed yet" in text(response)
    assert not Submission.objects.exists()


@pytest.mark.parametrize("status", [Story.Status.DRAFT, Story.Status.RETRACTED])
def test_only_published_stories_take_edits_or_sources(
    client: Client, taxonomy: None, status: str
) -> None:
    story = StoryFactory(status=status)
    for name in ("submissions:suggest-edit", "submissions:add-source"):
        assert client.get(reverse(name, kwargs={"slug": story.slug})).status_code == 404
    assert client.get("/submit/edit/no-such-story/").status_code == 404


def test_add_source_is_prefilled_and_creates_a_source_submission(
    client: Client, published_story: Story
) -> None:
    url = reverse("submissions:add-source", kwargs={"slug": published_story.slug})
    response = client.get(url, {"url": "https://talks.example.org/etcd"})
    assert 'value="https://talks.example.org/etcd"' in text(response)
    response = client.post(
        url,
        {
            "url": "https://talks.example.org/etcd",
            "kind": "talk",
            "title": "The talk",
            "note": "Same incident.",
            "email": "",
            "website": "",
            "started": started(),
        },
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.kind == SubmissionKind.SOURCE
    assert submission.story == published_story
    assert submission.payload["sources"][-1] == {
        "url": "https://talks.example.org/etcd",
        "kind": "talk",
        "title": "The talk",
    }
    assert len(submission.payload["sources"]) == 2
    assert submission.flags == []


def test_add_source_refuses_a_url_the_story_has(client: Client, published_story: Story) -> None:
    url = reverse("submissions:add-source", kwargs={"slug": published_story.slug})
    existing = published_story.sources.get().url
    response = client.post(
        url, {"url": existing, "kind": "talk", "started": started(), "website": ""}
    )
    assert response.status_code == 400
    assert "already a source of this story" in text(response)
    response = client.post(url, {"url": "javascript:alert(1)", "kind": "talk"})
    assert response.status_code == 400
    assert "must start with http:// or https://" in text(response)
    assert not Submission.objects.exists()


def test_story_page_offers_edits_sources_and_the_repository(
    client: Client, published_story: Story, settings: Any
) -> None:
    settings.REPOSITORY_URL = ""
    html = text(client.get(published_story.get_absolute_url()))
    assert reverse("submissions:suggest-edit", kwargs={"slug": published_story.slug}) in html
    assert reverse("submissions:add-source", kwargs={"slug": published_story.slug}) in html
    assert "edit the story file" not in html
    settings.REPOSITORY_URL = "https://github.com/example/stories"
    html = text(client.get(published_story.get_absolute_url()))
    assert (
        f"https://github.com/example/stories/edit/main/fixtures/stories/{published_story.slug}.md"
        in html
    )
    assert "Retract this story" not in html
