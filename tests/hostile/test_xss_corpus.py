"""Every hostile payload, in every free-text field, sent by the web form and by the API,
approved, then read back from every page, feed, API response and email that shows it.

The site is built once per module (inside a transaction rolled back at the end) and every
surface is parsed: HTML with html.parser, feeds and the sitemap as XML, the API as JSON,
emails as MIME. A page with hostile text must have the same elements that run code, load
things or take input as the same page with benign text, no event handler or inline style,
no script URL, and show the text exactly as it was typed.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client, TestCase
from django.test.utils import override_settings
from django.utils.text import normalize_newlines

from apps.catalog.models import Story
from apps.submissions.models import Submission
from tests.hostile.payloads import PAYLOADS
from tests.hostile.scan import (
    SLUG_RE,
    as_in_xml,
    atom_entries,
    fragment_problems,
    html_problems,
    markers_in,
    parse_xml,
    scan_html,
    text_of,
)
from tests.hostile.site import (
    APPROVE,
    CHANNELS,
    EMAIL,
    MITIGATIONS,
    SUBMIT,
    People,
    StoryText,
    approve_service,
    benign_story,
    collapse,
    hostile_stories,
    make_taxonomy,
    search_word,
)

pytestmark = pytest.mark.django_db
GENEROUS = {
    "SUBMISSION_RATE_PER_IP": "100000/hour",
    "SUBMISSION_RATE_PER_USER": "100000/hour",
    "SUBMISSION_HELPER_RATE": "100000/min",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}
LIST_PAGES = [
    "/",
    "/stories/",
    "/stories/?sort=title",
    "/organizations/",
    "/components/",
    "/components/dns/",
    "/mitigations/",
    f"/mitigations/{MITIGATIONS[0]}/",
    "/trends/",
]
SITE_TITLE = " — Kubernetes Failure Stories"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BENIGN_INDEX = 999
# Words many hostile stories share: their result pages show highlighted titles and passages.
SEARCHES = ["xss", "script", "onerror", "javascript", "evil"]
GROUPS = sorted({search_word(index) for index in range(len(hostile_stories()))})
QUERY_PAYLOADS = 4
# Markup-heavy text is flagged for moderators: the review page then shows a notice.
FLAGS_NOTICE = [("div", "role"), ("div", "aria-labelledby")]
# Lists (and searches with many matches) are paginated once they hold many stories:
# previous/next and numbered pages with the current one marked.
PAGINATION = [
    ("nav", "class"),
    ("nav", "aria-label"),
    ("a", "rel"),
    ("a", "aria-label"),
    ("span", None),
    ("span", "class"),
    ("span", "aria-current"),
    ("span", "aria-label"),
    ("span", "aria-hidden"),
    ("ol", "class"),
    ("li", None),
]
# Search pages highlight matches, and say when a query was shortened or simplified.
SEARCH_NOTICES = [("mark", None), ("div", "role"), *PAGINATION]


@dataclass
class Entry:
    """One story as typed, its submission, and pages read before it was approved."""

    channel: str
    index: int
    text: StoryText
    submission: Submission
    story: Story
    pending: dict[str, str] = field(default_factory=dict)


@dataclass
class Corpus:
    people: People
    benign: dict[str, Entry]
    hostile: dict[str, list[Entry]]
    before: dict[str, str]
    emails: list[mail.EmailMessage]

    def entries(self, channel: str | None = None) -> list[Entry]:
        channels = [channel] if channel else list(CHANNELS)
        return [entry for name in channels for entry in self.hostile[name]]


def _with_callbacks(action: Callable[[], Any]) -> Any:
    """Run `action` and then what it left for after commit (the emails), as a commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


def _publish(people: People, channel: str, index: int, text: StoryText) -> Entry:
    submission = _with_callbacks(lambda: SUBMIT[channel](people, text, index))
    pending = {"review": _get(people.moderator_web, submission.get_review_url())}
    # The benign story and the first hostile one are approved on the review page (web) or
    # with If-Match (API); the rest through the service both call, which is quicker.
    approve = APPROVE[channel] if index in (0, BENIGN_INDEX) else approve_service
    story = _with_callbacks(lambda: approve(people, submission, text.message))
    return Entry(channel, index, text, submission, story, pending)


def _get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return str(response.content.decode())


@pytest.fixture(scope="module")
def corpus(django_db_setup: None, django_db_blocker: Any) -> Iterator[Corpus]:
    with django_db_blocker.unblock(), override_settings(**GENEROUS), transaction.atomic():
        cache.clear()
        mail.outbox = []
        make_taxonomy()
        people = People.create()
        benign = {
            channel: _publish(people, channel, BENIGN_INDEX, benign_story()) for channel in CHANNELS
        }
        before = {url: _get(Client(), url) for url in LIST_PAGES}
        before["search"] = _get(Client(), "/stories/?q=plain")
        before["no results"] = _get(Client(), "/stories/?q=nothing+matches+this")
        before["queue"] = _get(people.moderator_web, "/moderation/?status=all")
        hostile = {
            channel: [
                _publish(people, channel, index, text)
                for index, text in enumerate(hostile_stories())
            ]
            for channel in CHANNELS
        }
        yield Corpus(people, benign, hostile, before, list(mail.outbox))
        transaction.set_rollback(True)
    cache.clear()


def _report(problems: dict[str, list[str]]) -> str:
    lines = []
    for where, found in problems.items():
        lines += [f"{where}:", *(f"  {problem}" for problem in found[:20])]
    return "\n".join(lines)


def _check(problems: dict[str, list[str]]) -> None:
    problems = {where: found for where, found in problems.items() if found}
    assert not problems, _report(problems)


def _story(entry: Entry) -> Story:
    return Story.objects.for_detail().get(pk=entry.story.pk)


# --- what was stored ---------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_payload_reached_every_field(corpus: Corpus, channel: str) -> None:
    stored: dict[str, str] = {"title": "", "organization": "", "summary": "", "source": ""}
    stored.update(upstream="", note="", mitigation="", symptoms="")
    for entry in corpus.entries(channel):
        story = _story(entry)
        stored["title"] += story.title
        stored["organization"] += story.organization.name
        stored["summary"] += story.summary
        stored["source"] += " ".join(source.title for source in story.sources.all())
        stored["upstream"] += " ".join(link.note for link in story.upstream_links.all())
        stored["mitigation"] += " ".join(link.note for link in story.mitigation_links.all())
        stored["note"] += entry.submission.note
        stored["symptoms"] += " ".join(story.symptoms)
    if channel == "web":
        # The web form has no field for mitigation notes.
        del stored["mitigation"]
    everything = {p.marker for p in PAYLOADS}
    missing = {name: sorted(everything - markers_in(text)) for name, text in stored.items()}
    assert not any(missing.values()), missing


@pytest.mark.parametrize("channel", CHANNELS)
def test_text_is_stored_as_typed(corpus: Corpus, channel: str) -> None:
    """Nothing is stripped or rewritten: one-line fields keep their words, the rest all."""
    for entry in corpus.entries(channel):
        story, text = _story(entry), entry.text
        assert story.title == collapse(text.title)
        assert story.organization.name == collapse(text.organization)
        assert story.summary == text.summary.strip()
        assert [s.title for s in story.sources.all()] == [collapse(t) for t in text.source_titles]
        assert [u.note for u in story.upstream_links.all()] == [
            collapse(n) for n in text.upstream_notes
        ]
        if channel == "api":
            assert [m.note for m in story.mitigation_links.all()] == [
                collapse(n) for n in text.mitigation_notes
            ]
        assert entry.submission.note == text.note.strip()
        assert story.symptoms == text.symptoms
        assert not fragment_problems(story.summary_html), story.summary_html
        assert story.excerpt == collapse(story.excerpt) and "\n" not in story.excerpt


def test_both_channels_store_the_same_text(corpus: Corpus) -> None:
    """The web form and the API store a story's text alike (the web form has no field for
    mitigation notes)."""

    def stored(entry: Entry) -> tuple[Any, ...]:
        story = _story(entry)
        return (
            story.title,
            story.organization.name,
            story.summary,
            story.summary_html,
            story.excerpt,
            [s.title for s in story.sources.all()],
            [u.note for u in story.upstream_links.all()],
            entry.submission.note,
        )

    for web, api in zip(corpus.entries("web"), corpus.entries("api"), strict=True):
        assert stored(web) == stored(api), web.index


# --- public pages --------------------------------------------------------------------------


def _meta(scan: Any, key: str, value: str) -> list[str | None]:
    return [element.get("content") for element in scan.find("meta", **{key: value})]


@pytest.mark.parametrize("channel", CHANNELS)
def test_story_pages(corpus: Corpus, client: Client, channel: str) -> None:
    benign = scan_html(_get(client, corpus.benign[channel].story.get_absolute_url()))
    problems: dict[str, list[str]] = {}
    for entry in corpus.entries(channel):
        story = _story(entry)
        html = _get(client, story.get_absolute_url())
        scan = scan_html(html)
        found = html_problems(scan, benign)
        expected = {
            ("name", "description"): story.excerpt,
            ("property", "og:description"): story.excerpt,
            ("property", "og:title"): story.title,
        }
        for (key, value), text in expected.items():
            if _meta(scan, key, value) != [text]:
                found.append(f"meta {value}: {_meta(scan, key, value)!r} is not [{text!r}]")
        shown = {
            "title": (text_of(html, "title"), [story.title + SITE_TITLE]),
            "h1": (text_of(html, "h1"), [story.title]),
            "sources": (
                text_of(html, "a", inside=("ul", {"class": "sources"})),
                [source.title for source in story.sources.all()],
            ),
            "symptoms": (
                text_of(html, "code", inside=("ul", {"class": "symptoms"})),
                story.symptoms,
            ),
            "upstream notes": (
                text_of(html, "p", **{"class": "link-note"}),
                [link.note for link in story.upstream_links.all() if link.note],
            ),
        }
        for name, (actual, wanted) in shown.items():
            if actual != wanted:
                found.append(f"{name} shows {actual!r}, not {wanted!r}")
        if story.organization.name not in scan.text:
            found.append("the organization's name is not shown as text")
        problems[story.get_absolute_url()] = found
    _check(problems)


def test_organization_pages(corpus: Corpus, client: Client) -> None:
    """Both channels name the same organizations, so each page is read once."""
    benign_story = corpus.benign["api"].story
    benign = scan_html(_get(client, benign_story.organization.get_absolute_url()))
    problems: dict[str, list[str]] = {}
    organizations = {
        entry.story.organization.pk: entry.story.organization for entry in corpus.entries()
    }
    for organization in organizations.values():
        html = _get(client, organization.get_absolute_url())
        found = html_problems(scan_html(html), benign)
        if text_of(html, "h1") != [organization.name]:
            found.append(f"h1 shows {text_of(html, 'h1')!r}, not {organization.name!r}")
        problems[organization.get_absolute_url()] = found
    _check(problems)


def test_list_pages(corpus: Corpus, client: Client) -> None:
    problems: dict[str, list[str]] = {}
    urls = [*LIST_PAGES, "/stories/?page=2", "/stories/?page=last"]
    for url in urls:
        baseline = corpus.before.get(url, corpus.before["/stories/"])
        problems[url] = html_problems(
            scan_html(_get(client, url)), scan_html(baseline), extra_pairs=PAGINATION
        )
    _check(problems)
    titles = []
    for page in range(1, 50):
        html = _get(client, f"/components/dns/?page={page}")
        titles += text_of(html, "h3", **{"class": "story-card-title"})
        if 'rel="next"' not in html:
            break
    assert sorted(titles) == sorted(Story.objects.public().values_list("title", flat=True)), (
        "every story's title is shown as it was typed"
    )


def test_search_results_show_titles_and_passages_as_text(corpus: Corpus, client: Client) -> None:
    """Results highlight matches with <mark> in escaped titles and summary passages."""
    baseline = scan_html(corpus.before["search"])
    problems: dict[str, list[str]] = {}
    shown: set[str] = set()
    for query in [*SEARCHES, *GROUPS]:
        for page in range(1, 6):
            url = f"/stories/?q={query}&page={page}"
            html = _get(client, url)
            problems[url] = html_problems(
                scan_html(html), baseline, extra_pairs=[("mark", None), *PAGINATION]
            )
            titles = text_of(html, "h3", **{"class": "story-card-title"})
            shown.update(titles)
            if 'rel="next"' not in html:  # the last page: the next would be a 404
                break
    _check(problems)
    missing = {entry.story.title for entry in corpus.entries()} - shown
    assert not missing, f"titles not found or not shown as typed: {missing}"


# --- moderators and submitters -------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_moderation_review_pages(corpus: Corpus, channel: str) -> None:
    moderator = corpus.people.moderator_web
    benign = corpus.benign[channel]
    benign_pending = scan_html(benign.pending["review"])
    benign_decided = scan_html(_get(moderator, benign.submission.get_review_url()))
    problems: dict[str, list[str]] = {}
    for entry in corpus.entries(channel):
        url = entry.submission.get_review_url()
        problems[f"{url} (pending)"] = html_problems(
            scan_html(entry.pending["review"]), benign_pending, extra_pairs=FLAGS_NOTICE
        )
        html = _get(moderator, url)
        problems[url] = html_problems(scan_html(html), benign_decided)
        # The note's line breaks become <br> elements, the rest is text as typed.
        note = normalize_newlines(entry.submission.note).replace("\n", "")
        if note and text_of(html, "p", **{"class": "note"}) != [note]:
            problems[url].append("the submitter's note is not shown as text")
    _check(problems)


def test_moderation_queue(corpus: Corpus) -> None:
    moderator = corpus.people.moderator_web
    baseline = scan_html(corpus.before["queue"])
    problems = {}
    for url in ("/moderation/?status=all", "/moderation/?status=all&page=2"):
        html = _get(moderator, url)
        problems[url] = html_problems(scan_html(html), baseline)
    _check(problems)


@pytest.mark.parametrize("channel", CHANNELS)
def test_tracking_pages(corpus: Corpus, client: Client, channel: str) -> None:
    benign = scan_html(_get(client, corpus.benign[channel].submission.get_tracking_url()))
    problems: dict[str, list[str]] = {}
    for entry in corpus.entries(channel):
        url = entry.submission.get_tracking_url()
        problems[f"{entry.submission.pk} track"] = html_problems(
            scan_html(_get(client, url)), benign
        )
    _check(problems)


def test_edit_forms_are_prefilled_with_the_text_as_typed(corpus: Corpus, client: Client) -> None:
    """Text in input values and textareas stays there. The form shows the story, not the
    submission, and the web channel's stories hold the same text (test above), so the API
    channel's stories (which also carry mitigation notes) stand for both."""
    benign = corpus.benign["api"].story
    baseline = scan_html(_get(client, f"/submit/edit/{benign.slug}/"))
    problems: dict[str, list[str]] = {}
    for entry in corpus.entries("api"):
        story = _story(entry)
        edit = _get(client, f"/submit/edit/{story.slug}/")
        scan = scan_html(edit)
        found = html_problems(scan, baseline)
        prefilled = {
            "title": [e.get("value") for e in scan.find("input", name="title")],
            "organization": [e.get("value") for e in scan.find("input", name="organization")],
            # A textarea drops one newline at its start; Django writes one for it.
            "summary": [t.removeprefix("\n") for t in text_of(edit, "textarea", name="summary")],
            "source titles": [
                e.get("value") for e in scan.elements if e.tag == "input" and _source_title(e)
            ],
        }
        wanted = {
            "title": [story.title],
            "organization": [story.organization.name],
            "summary": [story.summary],
            "source titles": [s.title for s in story.sources.all()],
        }
        for key, value in prefilled.items():
            if value != wanted[key]:
                found.append(f"{key} is prefilled as {value!r}, not {wanted[key]!r}")
        problems[f"/submit/edit/{story.slug}/"] = found
    _check(problems)


def _source_title(element: Any) -> bool:
    name = element.get("name") or ""
    return name.startswith("sources-") and name.endswith("-title") and bool(element.get("value"))


# --- feeds, sitemap, API -------------------------------------------------------------------


def _feed_problems(body: bytes, stories: dict[str, Story]) -> tuple[list[str], set[str]]:
    """Problems in an Atom feed, and the slugs of the stories it holds."""
    root, error = parse_xml(body)
    if root is None:
        return [error], set()
    problems, slugs = [], set()
    for entry in atom_entries(root):
        slug = entry["link"].rstrip("/").rsplit("/", 1)[-1]
        story = stories.get(slug)
        if story is None:
            problems.append(f"entry links to {entry['link']!r}, no published story")
            continue
        slugs.add(slug)
        if entry["title"] != as_in_xml(story.title):
            problems.append(f"entry title {entry['title']!r} is not {story.title!r}")
        if entry["author"] != as_in_xml(story.organization.name):
            problems.append(f"author {entry['author']!r} is not {story.organization.name!r}")
        problems += fragment_problems(entry["content"])
    return problems, slugs


def test_feeds(corpus: Corpus, client: Client) -> None:
    stories = {story.slug: story for story in Story.objects.public().select_related("organization")}
    problems: dict[str, list[str]] = {}
    urls = ["/feeds/stories.atom", "/feeds/components/dns.atom"]
    urls += [f"/feeds/search.atom?q={query}" for query in [*SEARCHES, *GROUPS]]
    seen: set[str] = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        problems[url], slugs = _feed_problems(response.content, stories)
        seen.update(slugs)
        if not slugs:
            problems[url].append("no entries")
    _check(problems)
    missing = {entry.story.slug for entry in corpus.entries()} - seen
    assert not missing, f"stories in no feed: {missing}"


def test_sitemap(corpus: Corpus, client: Client) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    index, error = parse_xml(response.content)
    assert index is not None, error
    locations = []
    for section in index.iter(f"{SITEMAP}loc"):
        response = client.get(urlsplit(section.text or "").path)
        assert response.status_code == 200, section.text
        root, error = parse_xml(response.content)
        assert root is not None, error
        locations += [urlsplit(loc.text or "") for loc in root.iter(f"{SITEMAP}loc")]
    paths = {location.path for location in locations}
    assert {entry.story.get_absolute_url() for entry in corpus.entries()} <= paths
    site = urlsplit(settings.SITE_URL)
    for location in locations:
        # On SITE_URL, like canonical links, not on the Host the request carried.
        assert (location.scheme, location.netloc) == (site.scheme, site.netloc), location
        assert not location.query and not location.fragment, location
        parts = location.path.strip("/").split("/")
        assert all(SLUG_RE.match(part) for part in parts if part), location


def _json(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"
    return json.loads(response.content)


@pytest.mark.parametrize("channel", CHANNELS)
def test_api_json(corpus: Corpus, channel: str) -> None:
    """JSON that parses, served as JSON, with the text as plain strings."""
    stranger, moderator = Client(), corpus.people.moderator_api
    for entry in corpus.entries(channel):
        story = _story(entry)
        detail = _json(stranger.get(f"/api/v1/stories/{story.slug}/"))
        assert detail["title"] == story.title
        assert detail["organization"] == story.organization.name
        assert detail["summary"] == story.summary
        assert [s["title"] for s in detail["sources"]] == [s.title for s in story.sources.all()]
        assert [u["note"] for u in detail["upstream"]] == [
            u.note for u in story.upstream_links.all()
        ]
        assert [m["note"] for m in detail["mitigations"]] == [
            m.note for m in story.mitigation_links.all()
        ]
        assert detail["summary_html"] == story.summary_html
        assert not fragment_problems(detail["summary_html"])
    listed = _json(stranger.get("/api/v1/stories/?page_size=100"))
    titles = {item["title"] for item in listed["results"]}
    assert {entry.story.title for entry in corpus.entries(channel)} <= titles
    submissions = _json(moderator.get("/api/v1/submissions/?status=approved&page_size=100"))
    by_id = {item["id"]: item for item in submissions["results"]}
    for entry in corpus.entries(channel):
        item = by_id[entry.submission.pk]
        assert item["payload"]["title"] == entry.story.title
        assert item["note"] == entry.submission.note
    organizations = _json(stranger.get("/api/v1/organizations/?page_size=100"))
    names = {item["name"] for item in organizations["results"]}
    assert {entry.story.organization.name for entry in corpus.entries(channel)} <= names


def test_openapi_schema_holds_no_user_text(corpus: Corpus, client: Client) -> None:
    """The schema lists organization slugs as filter choices; nothing else from people."""
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from strings(key)
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    with_markers = [text for text in strings(schema) if markers_in(text)]
    assert with_markers, "the organization filter lists the organizations' slugs"
    assert all(SLUG_RE.match(text) for text in with_markers), with_markers


# --- emails --------------------------------------------------------------------------------


def test_emails_are_plain_text_with_fixed_headers(corpus: Corpus) -> None:
    hostile_pks = {entry.submission.pk for entry in corpus.entries()}
    sent = [m for m in corpus.emails if m.to and m.to[0] in EMAIL.values()]
    assert len(sent) >= 2 * len(hostile_pks), "a receipt and a decision for each submission"
    for message in sent:
        assert "\r" not in message.subject and "\n" not in message.subject
        assert message.subject.startswith("[Kubernetes Failure Stories] ")
        assert not markers_in(message.subject)
        assert message.cc == [] and message.bcc == [] and len(message.to) == 1
        parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
        names = {name.lower() for name in parsed}
        assert names <= {
            "content-type", "mime-version", "content-transfer-encoding", "subject", "from",
            "to", "date", "message-id",
        }, names  # fmt: skip
        assert parsed.get_content_type() == "text/plain"
        assert parsed["To"] == message.to[0]
        assert parsed["From"] == settings.DEFAULT_FROM_EMAIL


def test_receipts_do_not_echo_the_note_as_a_message_from_the_moderators(corpus: Corpus) -> None:
    """Anyone may type anyone's address: the receipt must not carry their words as ours."""
    receipts = [m for m in corpus.emails if m.subject.endswith("We received your submission")]
    assert receipts
    notes = {entry.submission.note for entry in corpus.entries()} - {""}
    for message in receipts:
        assert "Message from the moderators" not in message.body
        # The first line names the submission by its title; the note is in no line after it.
        after_title = message.body.split("\n", 1)[1]
        assert not any(note in after_title for note in notes)


# --- what the submit form echoes back ------------------------------------------------------


@pytest.mark.parametrize("channel", ["web"])
def test_submit_form_preview_echoes_text_safely(
    corpus: Corpus, client: Client, channel: str
) -> None:
    from tests.hostile.site import web_form

    benign = scan_html(
        client.post("/submit/", {**web_form(benign_story(), 0), "preview": "1"}).content.decode()
    )
    problems: dict[str, list[str]] = {}
    for index, text in enumerate(hostile_stories()):
        data = {**web_form(text, 5000 + index), "preview": "1"}
        response = client.post("/submit/", data)
        assert response.status_code == 200
        problems[f"preview {index}"] = html_problems(scan_html(response.content.decode()), benign)
        fragment = client.post("/submit/preview/", {"summary": text.summary})
        assert fragment.status_code == 200
        problems[f"fragment {index}"] = fragment_problems(fragment.content.decode())
    _check(problems)


def test_search_queries_are_echoed_as_text(corpus: Corpus, client: Client) -> None:
    """The query itself is user text: the list page and the search feed echo it."""
    with_results = scan_html(corpus.before["search"])
    without = scan_html(corpus.before["no results"])
    problems: dict[str, list[str]] = {}
    texts = [payload.text for payload in PAYLOADS]
    for start in range(0, len(texts), QUERY_PAYLOADS):
        query = " ".join(texts[start : start + QUERY_PAYLOADS])
        html = _get(client, f"/stories/?q={quote(query)}")
        baseline = with_results if 'class="story-card"' in html else without
        problems[f"q={query[:60]!r}"] = html_problems(
            scan_html(html), baseline, extra_pairs=[*SEARCH_NOTICES, *PAGINATION]
        )
        feed = client.get(f"/feeds/search.atom?q={quote(query)}")
        assert feed.status_code == 200, query
        root, error = parse_xml(feed.content)
        problems[f"feed q={query[:60]!r}"] = [error] if root is None else []
    _check(problems)
