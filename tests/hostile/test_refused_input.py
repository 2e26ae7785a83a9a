"""What no field may hold is refused with a clear 4xx that names the field, by the web
form and by the API alike, and nothing of the submission is saved: NUL anywhere, C0
control characters in the story's text (XML cannot hold them, and two are the search
highlighter's own marks), lone surrogates, non-http(s) sources, and email addresses that
would add a header or a recipient.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from apps.catalog.models import Story
from apps.catalog.storyfiles.payload import LIST_LIMITS
from apps.submissions.models import Submission, SubmissionURL
from tests.hostile.payloads import REFUSED, Payload
from tests.hostile.site import EMAIL, People, StoryText, benign_story, make_taxonomy, web_form

pytestmark = pytest.mark.django_db

FIELDS: dict[str, Callable[[StoryText, str], None]] = {
    "title": lambda story, text: setattr(story, "title", f"Title {text}"),
    "organization": lambda story, text: setattr(story, "organization", f"Org {text}"),
    "summary": lambda story, text: setattr(story, "summary", f"Summary {text}"),
    "source title": lambda story, text: story.source_titles.__setitem__(0, f"Source {text}"),
    "upstream note": lambda story, text: story.upstream_notes.__setitem__(0, f"Fix {text}"),
    "mitigation note": lambda story, text: story.mitigation_notes.__setitem__(0, f"Do {text}"),
    "note": lambda story, text: setattr(story, "note", f"Note {text}"),
}
# Where each field's problem is reported: the API's JSON path, the web form's field.
API_FIELD = {
    "title": "title",
    "organization": "organization",
    "summary": "summary",
    "source title": "sources",
    "upstream note": "upstream",
    "mitigation note": "mitigations",
    "note": "note",
}
WEB_FIELD = {
    "title": "title",
    "organization": "organization",
    "summary": "summary",
    "upstream note": "upstream",
    "note": "note",
}


def refused(field: str) -> list[Payload]:
    """The note to moderators is never published as a story: only NUL is refused there."""
    return [p for p in REFUSED if field != "note" or p.category == "nul"]


@pytest.fixture
def people(settings: Any) -> People:
    cache.clear()
    settings.SUBMISSION_RATE_PER_IP = "100000/hour"
    settings.SUBMISSION_RATE_PER_USER = "100000/hour"
    make_taxonomy()
    return People.create()


def _story_with(field: str, payload: Payload) -> StoryText:
    story = benign_story()
    FIELDS[field](story, payload.text)
    return story


def _nothing_saved() -> None:
    assert Submission.objects.count() == 0
    assert SubmissionURL.objects.count() == 0
    assert Story.objects.count() == 0


def _api_problem_keys(body: dict[str, Any]) -> set[str]:
    return {key.split("[")[0].split(".")[0] for key in body.get("fields", {})}


@pytest.mark.parametrize("field", list(FIELDS))
def test_api_refuses_unstorable_characters(people: People, field: str) -> None:
    for payload in refused(field):
        body = {
            **_story_with(field, payload).payload("api", 1),
            "note": _story_with(field, payload).note,
            "email": EMAIL["api"],
        }
        response = people.submitter_api.post("/api/v1/submissions/", body, format="json")
        assert response.status_code == 400, (payload.marker, response.status_code)
        problem = response.json()
        assert problem["error"] == "invalid"
        assert API_FIELD[field] in _api_problem_keys(problem), (payload.marker, problem)
        _nothing_saved()


@pytest.mark.parametrize("field", [*WEB_FIELD, "source title"])
def test_web_form_refuses_unstorable_characters(people: People, field: str) -> None:
    for payload in refused(field):
        response = people.web.post("/submit/", web_form(_story_with(field, payload), 1))
        assert response.status_code == 400, (payload.marker, response.status_code)
        if field == "source title":
            errors = response.context["formset"].forms[0].errors
            assert "title" in errors, (payload.marker, errors)
        else:
            errors = response.context["form"].errors
            assert WEB_FIELD[field] in errors, (payload.marker, errors)
        _nothing_saved()


def test_a_lone_surrogate_in_json_is_refused(people: People) -> None:
    # The web form cannot send one (the request is decoded with replacement); JSON can.
    for key in ("title", "organization", "summary", "note"):
        body = {**benign_story().payload("api", 1), "note": "n", key: "HERE"}
        raw = json.dumps(body).replace('"HERE"', '"lone \\ud800 surrogate"')
        response = people.submitter_api.post(
            "/api/v1/submissions/", raw, content_type="application/json"
        )
        assert response.status_code == 400, (key, response.content[:500])
        assert key in _api_problem_keys(response.json())
        _nothing_saved()


def test_long_lists_of_terms_are_refused_by_their_length(people: People) -> None:
    """Components, platforms and impacts are capped like the other lists: 150,000 repeats of
    one component (1 MB of JSON) took 2 s and answered 5 MB of "listed twice" problems."""
    for key, term in (("components", "dns"), ("platforms", "aws"), ("impact", "outage")):
        body = {**benign_story().payload("api", 1), key: [term] * 50_000}
        response = people.submitter_api.post("/api/v1/submissions/", body, format="json")
        assert response.status_code == 400, (key, response.content[:500])
        assert response.json()["fields"] == {
            key: [f"at most {LIST_LIMITS[key]} entries are allowed"]
        }
        _nothing_saved()


SCRIPT_URLS = [
    "javascript:__xss('kfsx-url')//https://blog.example.org/",
    "data:text/html,<script>__xss('kfsx-url')</script>",
    "vbscript:msgbox(1)",
    "https://blog.example.org/ onmouseover=__xss(1)",
    "//evil.example/protocol-relative",
    "https://user:password@blog.example.org/",
]


def test_sources_must_be_http_urls(people: People) -> None:
    for url in SCRIPT_URLS:
        payload = benign_story().payload("api", 1)
        payload["sources"][0]["url"] = url
        response = people.submitter_api.post("/api/v1/submissions/", payload, format="json")
        assert response.status_code == 400, url
        assert "sources" in _api_problem_keys(response.json()), url
        data = web_form(benign_story(), 1)
        data["sources-0-url"] = url
        response = people.web.post("/submit/", data)
        assert response.status_code == 400, url
        assert "url" in response.context["formset"].forms[0].errors, url
        _nothing_saved()


HEADER_BREAKS = [
    "x@example.org\r\nBcc: victim@evil.example",
    "x@example.org\nCc: victim@evil.example",
    "x@example.org%0d%0aBcc:victim@evil.example",
    '"x\r\nBcc: v@evil.example"@example.org',
    "x@example.org, victim@evil.example",
]


def test_an_email_address_cannot_add_headers_or_recipients(people: People) -> None:
    for address in HEADER_BREAKS:
        body = {**benign_story().payload("api", 1), "email": address}
        response = people.submitter_api.post("/api/v1/submissions/", body, format="json")
        assert response.status_code == 400, address
        assert "email" in _api_problem_keys(response.json()), address
        response = people.web.post("/submit/", {**web_form(benign_story(), 1), "email": address})
        assert response.status_code == 400, address
        assert "email" in response.context["form"].errors, address
        _nothing_saved()


def test_refused_payloads_are_not_in_the_accepted_corpus() -> None:
    from tests.hostile.payloads import PAYLOADS

    unstorable = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}
    for payload in PAYLOADS:
        assert not unstorable & set(payload.text), payload.marker
    for payload in REFUSED:
        assert unstorable & set(payload.text), payload.marker
