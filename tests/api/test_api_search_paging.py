"""The API's story search pages over the ranked window, as the list page does: the window
first, every other match after it newest first and reachable by `next`, a `count` that is
exact or marked `count_estimated`, and the same statements whatever the page or the number
of matches. The search feed reads its first entries from the window, with no count."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog.models import Story
from apps.search import engine
from apps.search.engine import search_stories
from apps.search.indexing import index_stories
from apps.web.feeds import FEED_SIZE
from tests.factories import StoryFactory
from tests.search.conftest import run_statements

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_api_search_pages_over_the_window_then_every_other_match(many: list[Story]) -> None:
    client = APIClient()
    results = search_stories("quokka", Story.objects.public())
    url: str | None = "/api/v1/stories/?q=quokka&page_size=4"
    seen: list[str] = []
    first = None
    while url:
        body = client.get(url).json()
        first = first or body
        seen += [story["slug"] for story in body["results"]]
        url = body["next"]
        assert len(seen) <= 40
    assert first is not None
    by_pk = {story.pk: story.slug for story in many}
    assert seen[:3] == [by_pk[pk] for pk in results.story_ids]
    assert sorted(seen) == sorted(story.slug for story in many)
    assert len(seen) == len(set(seen))
    if connection.vendor == "sqlite":
        assert (first["count"], first["count_estimated"], first["pages"]) == (25, False, 7)
    else:
        # An estimate, at least the window, and said to be one.
        assert first["count_estimated"] is True
        assert first["count"] >= 3


def test_api_search_sorted_otherwise_pages_every_match_without_counting(
    many: list[Story],
) -> None:
    client = APIClient()
    url: str | None = "/api/v1/stories/?q=quokka&sort=title&page_size=4"
    seen: list[str] = []
    first = None
    while url:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url).json()
        assert not any(sql.upper().startswith("SELECT COUNT(") for sql in run_statements(queries))
        first = first or body
        seen += [story["title"] for story in body["results"]]
        url = body["next"]
        assert len(seen) <= 40
    assert first is not None
    assert seen == sorted(story.title for story in many)
    if connection.vendor == "sqlite":
        assert (first["count"], first["count_estimated"]) == (25, False)
    else:
        assert first["count_estimated"] is True


def test_api_search_with_few_matches_counts_exactly() -> None:
    StoryFactory.create_batch(3, title="Wombat outage", summary="wombat")
    index_stories()
    body = APIClient().get("/api/v1/stories/?q=wombat&page_size=2").json()
    assert (body["count"], body["count_estimated"], body["pages"]) == (3, False, 2)
    assert body["next"] is not None
    last = APIClient().get(body["next"]).json()
    assert (len(last["results"]), last["next"]) == (1, None)
    assert APIClient().get("/api/v1/stories/?q=wombat&page=9").json()["results"] == []
    assert APIClient().get("/api/v1/stories/").json()["count_estimated"] is False


def test_api_search_costs_the_same_statements_on_any_page_at_any_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "RANKED", 5)
    client = APIClient()

    def statements(query: str, page: int = 1) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/stories/", {"q": query, "page": page, "page_size": 2})
            assert response.status_code == 200
        run = run_statements(queries)
        assert not any(sql.upper().startswith("SELECT COUNT(") for sql in run), run
        # Typo lookup, the ranked window, the page, and the page's components, platforms
        # and impacts (one statement): no count, no sort of every match.
        assert len(run) == 4, run
        return len(run)

    StoryFactory.create_batch(2, title="Wombat outage", summary="wombat")
    index_stories()
    few = statements("wombat")
    StoryFactory.create_batch(30, title="Wombat outage", summary="wombat")
    index_stories()
    assert statements("wombat") == few
    assert statements("wombat", page=2) == few
    assert statements("wombat", page=5) == few
    assert statements("wombat outage") == few


def test_search_feed_lists_the_window_first_without_counting(
    client: Client, many: list[Story]
) -> None:
    results = search_stories("quokka", Story.objects.public())
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/feeds/search.atom?q=quokka")
    assert response.status_code == 200
    run = run_statements(queries)
    assert not any(sql.upper().startswith("SELECT COUNT(") for sql in run), run
    feed = ET.fromstring(response.content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    by_pk = {story.pk: story.title for story in many}
    assert titles[:3] == [by_pk[pk] for pk in results.story_ids]
    assert sorted(titles) == sorted(story.title for story in many)[:FEED_SIZE]
