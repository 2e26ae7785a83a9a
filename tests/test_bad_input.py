"""Hostile input on the site (not the API): a clear 4xx, or a page that ignores and
explains it, never a 500 and never a half-saved row. Run on SQLite and PostgreSQL: some
of these only ever failed on PostgreSQL (NUL in a query), some only in XML (the feeds).

The API's own cases are in tests/api/test_api_errors.py and test_api_strict_writes.py.
"""

from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import Client

from apps.catalog.models import Story
from apps.submissions.exceptions import SubmissionInvalid
from apps.submissions.models import Submission, SubmissionStatus
from apps.submissions.services import check_payload, submission_create, submission_request_changes
from tests.factories import StoryFactory
from tests.submissions import conftest as submissions
from tests.submissions.conftest import make_payload, make_user
from tests.submissions.webforms import form_data

pytestmark = pytest.mark.django_db
# The submissions' fixtures: a small taxonomy and one published story.
taxonomy = submissions.taxonomy
published_story = submissions.published_story

STORY_SLUG = "2020-acme-etcd-ran-out-of-space"
# Every page that reads query parameters, and the parameters any of them reads.
GET_PATHS = [
    "/", "/stories/", f"/stories/{STORY_SLUG}/", "/components/", "/components/dns/",
    "/mitigations/", "/mitigations/node-local-dns/", "/organizations/", "/trends/",
    "/feeds/stories.atom", "/feeds/search.atom", "/feeds/components/dns.atom", "/sitemap.xml",
    "/submit/", f"/submit/edit/{STORY_SLUG}/", f"/submit/source/{STORY_SLUG}/",
    "/submit/check-urls/", "/moderation/", f"/moderation/stories/{STORY_SLUG}/retract/",
]  # fmt: skip
PARAMETERS = [
    "q", "sort", "page", "component", "area", "platform", "impact", "kind", "organization",
    "year_from", "year_to", "status", "flagged", "url", "story", "p",
]  # fmt: skip
# NUL (PostgreSQL refuses it), a control character (XML refuses it), half of a UTF-16
# surrogate pair and a byte that is not UTF-8.
BAD_VALUES = ["%00", "%01", "%0B", "%ED%A0%80", "%FF", "a_b%00c"]


@pytest.fixture(autouse=True)
def _fresh_limits(settings: Any) -> None:
    cache.clear()
    settings.SUBMISSION_RATE_PER_IP = "1000/hour"
    settings.SUBMISSION_HELPER_RATE = "100000/min"


@pytest.fixture
def moderator_client(taxonomy: None) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_user("mona", "moderator"))
    return client


@pytest.fixture
def stranger() -> Client:
    return Client(raise_request_exception=False)


# Query strings and URLs -----------------------------------------------------------


@pytest.mark.parametrize("value", BAD_VALUES)
def test_no_page_fails_on_bad_query_parameters(
    stranger: Client, moderator_client: Client, published_story: Story, value: str
) -> None:
    submission = submission_create(payload=make_payload())
    query = "&".join(f"{name}={value}" for name in PARAMETERS)
    paths = [*GET_PATHS, f"/track/{submission.tracking_token}/", f"/moderation/{submission.pk}/"]
    for client in (stranger, moderator_client):
        for path in paths:
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500, (path, value, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/track/%00/", "/track/%01x/", "/track/a%20b/", "/track/" + "A" * 65 + "/", "/track/ä/"],
)
def test_a_track_token_outside_its_alphabet_is_a_404(stranger: Client, path: str) -> None:
    assert stranger.get(path).status_code == 404


@pytest.mark.parametrize("name", ["q", "organization", "component"])
@pytest.mark.parametrize("value", ["%01", "%00", "x%0By", "%1F"])
def test_search_feed_with_control_characters_is_valid_atom(
    stranger: Client, published_story: Story, name: str, value: str
) -> None:
    response = stranger.get(f"/feeds/search.atom?{name}={value}")
    assert response.status_code == 200
    feed = ElementTree.fromstring(response.content)
    title = feed.find("{http://www.w3.org/2005/Atom}title")
    assert title is not None and title.text


def test_search_feed_title_keeps_unicode_and_drops_control_characters(
    stranger: Client, published_story: Story
) -> None:
    response = stranger.get("/feeds/search.atom?q=%C3%9Cberlingen%01%E6%97%A5%F0%9F%94%A5")
    assert response.status_code == 200
    assert "Stories matching “Überlingen 日🔥”" in response.content.decode()


def test_feeds_survive_control_characters_already_stored(stranger: Client, taxonomy: None) -> None:
    """A title typed with a control character (e.g. in the admin) still gives valid Atom."""
    from apps.catalog.models import Component

    StoryFactory(
        title="Bell\x07 in the title",
        summary="Form\x0cfeed",
        components=[Component.objects.get(slug="dns")],
    )
    for url in ("/feeds/stories.atom", "/feeds/components/dns.atom", "/feeds/search.atom"):
        response = stranger.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)
        assert "Bell in the title" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("url=https://a.example.org&story=%00", "story parameter"),
        ("url=https://a.example.org&story=Not_A_Slug", "story parameter"),
        ("url=https://a.example.org&story=a%01b", "story parameter"),
    ],
)
def test_check_urls_names_a_bad_story_parameter(
    stranger: Client, published_story: Story, query: str, problem: str
) -> None:
    response = stranger.get(f"/submit/check-urls/?{query}")
    assert response.status_code == 400
    assert problem in response.content.decode()


@pytest.mark.parametrize("token", ["\x00", "a b", "x" * 65, "ä"])
def test_check_urls_names_a_bad_tracking_token_header(
    stranger: Client, published_story: Story, token: str
) -> None:
    response = stranger.get(
        "/submit/check-urls/?url=https://a.example.org", HTTP_X_TRACKING_TOKEN=token
    )
    assert response.status_code == 400
    assert "X-Tracking-Token" in response.content.decode()


def test_check_urls_still_answers_good_input(stranger: Client, published_story: Story) -> None:
    submission = submission_create(payload=make_payload())
    response = stranger.get(
        f"/submit/check-urls/?url=https://blog.example.org/coredns-oom&story={STORY_SLUG}",
        HTTP_X_TRACKING_TOKEN=submission.tracking_token,
    )
    assert response.status_code == 200


# Forms ------------------------------------------------------------------------------


def _revisable(taxonomy: None) -> Submission:
    moderator = make_user("mike", "moderator")
    submission = submission_create(payload=make_payload())
    return submission_request_changes(
        submission=submission, moderator=moderator, expected_version=1, message="More."
    )


@pytest.mark.parametrize(
    "counts",
    [
        {"sources-TOTAL_FORMS": None},
        {"sources-TOTAL_FORMS": "abc"},
        {"sources-TOTAL_FORMS": "-1"},
        {"sources-TOTAL_FORMS": "0"},
        {"sources-TOTAL_FORMS": "99999"},
        {"sources-INITIAL_FORMS": None},
        {"sources-INITIAL_FORMS": "x"},
        {"sources-INITIAL_FORMS": "11"},
        {"sources-TOTAL_FORMS": None, "sources-INITIAL_FORMS": None},
    ],
)
@pytest.mark.parametrize("page", ["submit", "edit", "track"])
def test_damaged_source_row_counts_show_the_form_again_with_a_clear_error(
    stranger: Client,
    published_story: Story,
    taxonomy: None,
    counts: dict[str, str | None],
    page: str,
) -> None:
    tracked = _revisable(taxonomy) if page == "track" else None
    url = {
        "submit": "/submit/",
        "edit": f"/submit/edit/{STORY_SLUG}/",
        "track": f"/track/{tracked.tracking_token}/" if tracked else "",
    }[page]
    data = form_data(make_payload(title="A different title"))
    if tracked is not None:
        data["version"] = str(tracked.version)
    for name, value in counts.items():
        data.pop(name)
        if value is not None:
            data[name] = value
    before = Submission.objects.count()
    response = stranger.post(url, data)
    assert response.status_code == 400
    page_text = response.content.decode()
    assert "sources-TOTAL_FORMS" in page_text
    assert "send the form again" in page_text
    # What the person typed is still there.
    assert "https://blog.example.org/coredns-oom" in page_text
    assert Submission.objects.count() == before
    if tracked is not None:
        tracked.refresh_from_db()
        assert (tracked.status, tracked.version) == (SubmissionStatus.CHANGES_REQUESTED, 2)


def test_the_add_source_form_refuses_junk_without_failing(
    stranger: Client, published_story: Story
) -> None:
    for data in (
        {},
        {"url": "\x00", "kind": "talk"},
        {"url": "https://a.example.org/x", "kind": "nope", "sources-TOTAL_FORMS": "abc"},
    ):
        response = stranger.post(f"/submit/source/{STORY_SLUG}/", data)
        assert response.status_code == 400
    assert not Submission.objects.exists()


def test_a_lone_surrogate_sent_by_a_form_is_replaced_not_stored(
    stranger: Client, taxonomy: None
) -> None:
    """Forms are decoded as UTF-8 with replacement: the bytes of "\\ud800" are no text."""
    data = form_data(make_payload(summary="placeholder"))
    body = "&".join(
        f"{key}={value}"
        for key, values in data.items()
        for value in (values if isinstance(values, list) else [values])
        if key != "summary"
    )
    response = stranger.post(
        "/submit/",
        (body + "&summary=Broken+%ED%A0%80+text").encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (302, 400)
    for submission in Submission.objects.all():
        assert "\ud800" not in submission.payload["summary"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Bell\x07title"),
        ("organization", "Vertical\x0btab"),
        ("summary", "Escape \x1b[31m red"),
        ("title", "Half \ud800 pair"),
    ],
)
def test_story_text_with_characters_no_story_may_hold_is_refused(
    taxonomy: None, field: str, value: str
) -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        check_payload(make_payload(**{field: value}))
    assert field in refused.value.by_field()


def test_tabs_and_line_breaks_are_text(taxonomy: None) -> None:
    record = check_payload(make_payload(summary="Line one\r\n\tindented\nline two"))
    assert "indented" in record.summary


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("title: CoreDNS OOM-killed by a burst of DNS queries", 'title: "Half \\ud800"', "title"),
        ("title: CoreDNS OOM-killed by a burst of DNS queries", 'title: "Nul \\0"', "title"),
        ("organization: Example Corp", 'organization: "Bell \\a"', "organization"),
        ("What happened, in our own words.", "What \x00 happened.", "summary"),
    ],
)
def test_story_files_with_such_characters_are_refused_by_validation(
    fixture_tree: Any, old: str, new: str, field: str
) -> None:
    fixture_tree.story(**{old: new})
    problems = fixture_tree.load().problems
    assert [problem.field for problem in problems] == [field]


def test_moderation_forms_with_junk_answer_a_4xx_and_change_nothing(
    moderator_client: Client, published_story: Story
) -> None:
    submission = submission_create(payload=make_payload())
    for action in ("approve", "reject", "request_changes", "nope", ""):
        for version in ("", "abc", "\x00", "-1", "99999999999999999999"):
            response = moderator_client.post(
                f"/moderation/{submission.pk}/",
                {"action": action, "version": version, "reason": "\x00", "message": "x"},
            )
            assert 400 <= response.status_code < 500, (action, version)
    response = moderator_client.post(
        f"/moderation/stories/{STORY_SLUG}/retract/", {"version": "abc", "reason": "x"}
    )
    assert response.status_code == 400
    submission.refresh_from_db()
    published_story.refresh_from_db()
    assert (submission.status, submission.version) == (SubmissionStatus.PENDING, 1)
    assert published_story.status == Story.Status.PUBLISHED
