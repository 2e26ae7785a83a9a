"""A search whose matches outnumber the ranked window: the window comes first, every
other match follows and is reachable by paging, the total is exact or labelled, and
facets count the ranked matches in one statement."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from apps.search import engine
from apps.search.browse import ORDERINGS
from apps.search.engine import search_stories
from apps.search.indexing import index_stories
from apps.search.paging import about
from tests.factories import StoryFactory
from tests.search.conftest import run_statements

pytestmark = pytest.mark.django_db


def titles_on(client: Client, page: int, sort: str = "") -> tuple[list[str], bool]:
    response = client.get("/stories/", {"q": "quokka", "page": page, "sort": sort})
    assert response.status_code == 200
    return [s.title for s in response.context["stories"]], response.context["page_obj"].has_next()


def every_title(client: Client, sort: str = "") -> list[str]:
    """The titles of every page of the "quokka" search, in the order shown."""
    seen: list[str] = []
    page, more = 1, True
    while more:
        shown, more = titles_on(client, page, sort)
        seen += shown
        page += 1
        assert page < 10
    return seen


def test_the_window_is_ranked_and_the_rest_follows_reachable_by_paging(
    client: Client, many: list[Story]
) -> None:
    results = search_stories("quokka", Story.objects.public())
    assert len(results.story_ids) == 3
    assert results.capped
    seen = every_title(client)
    assert sorted(seen) == sorted(s.title for s in many)
    assert len(seen) == len(set(seen))
    first = client.get("/stories/", {"q": "quokka"})
    body = first.content.decode()
    assert "ranked by relevance and come first" in body
    assert "Counts among the 3 ranked matches." in body
    if connection.vendor == "sqlite":
        # FTS5 counts every match exactly.
        assert results.total == 25 and not results.estimated
        assert "25 stories" in body
    else:
        # Extrapolated from the part of the table read, at least the ranked window, and
        # labelled.
        assert results.estimated and results.total >= 3
        assert "(estimated)" in body


@pytest.mark.parametrize("sort", ["newest", "oldest", "added", "title"])
def test_other_sorts_take_the_search_total_and_reach_every_match_by_paging(
    client: Client, many: list[Story], sort: str
) -> None:
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/stories/", {"q": "quokka", "sort": sort})
    # No count over every match: the search's own total (Django counts as "__count").
    assert not [q["sql"] for q in queries if '"__count"' in q["sql"]]
    body = first.content.decode()
    if connection.vendor == "sqlite":
        assert first.context["paginator"].count == 25 and not first.context["estimated"]
        assert "25 stories" in body
    else:
        assert first.context["estimated"] and first.context["paginator"].count >= 3
        assert "About " in body and "(estimated)" in body
    seen = every_title(client, sort)
    expected = Story.objects.public().order_by(*ORDERINGS[sort]).values_list("title", flat=True)
    assert seen == list(expected)


def test_every_page_of_another_sort_costs_the_same_as_the_ranked_pages(
    client: Client, many: list[Story]
) -> None:
    counts = set()
    for params in ({}, {"page": 2}, {"sort": "newest"}, {"sort": "title", "page": 2}):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/stories/", {"q": "quokka", **params}).status_code == 200
        counts.add(len(queries))
    assert len(counts) == 1, counts


def test_the_ranked_queryset_keeps_the_window_order_then_newest_first(many: list[Story]) -> None:
    results = search_stories("quokka", Story.objects.public())
    ranked = list(results.ranked())
    assert [story.pk for story in ranked[:3]] == results.story_ids
    rest = [story for story in many if story.pk not in results.story_ids]
    rest.sort(key=lambda story: story.slug)
    rest.sort(key=lambda story: story.published_on, reverse=True)
    assert [story.pk for story in ranked[3:]] == [story.pk for story in rest]


def test_every_search_page_costs_the_same(client: Client, many: list[Story]) -> None:
    counts = set()
    for page in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            client.get("/stories/", {"q": "quokka", "page": page})
        counts.add(len(queries))
    assert len(counts) == 1, counts


def test_a_stopped_tier_extrapolates_from_the_part_of_the_table_it_read() -> None:
    # 501 found in the first 10 of 100 blocks: ten times as many in all.
    assert engine._extrapolated(501, [0, 9], 100) == 5010
    # Found from block 50 on (earlier row versions before it): over the last 50 only.
    assert engine._extrapolated(501, [50, 59], 100) == 2505
    # Never fewer than were found, and nothing to go on without a block read.
    assert engine._extrapolated(501, [0, 99], 100) == 501
    assert engine._extrapolated(501, [0, 150], 100) == 501
    assert engine._extrapolated(501, None, 100) == 501
    assert engine._extrapolated(501, [None, None], 100) == 501


@pytest.mark.postgres
@pytest.mark.parametrize("query", ["quokka", "quokka wallaby"])
def test_estimated_totals_are_near_the_true_count(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One story in three matches, spread over the table: a window of 10 reads about a
    tenth of the table to find 11 of them (one word: every word matches; two words: no
    story has both, so the partial tier's total is the one extrapolated)."""
    monkeypatch.setattr(engine, "RANKED", 10)
    filler = "A long account of a rollout that went wrong in several ways. " * 20
    for i in range(360):
        word = "quokka" if i % 3 == 0 else "numbat"
        StoryFactory(title=f"Outage {i} {word}", summary=f"{filler} {word}")
    index_stories()
    with connection.cursor() as cursor:
        # The documents' table as a busy site keeps it, its live rows spread through it:
        # here the suite's earlier tests and the indexing leave dead row versions in
        # patches, in whatever order the tests ran (the estimate counts from the first
        # block its matches lie in, so dead space before them does not count, but
        # space between them does).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("CLUSTER search_storysearchdocument USING search_storysearchdocument_pkey")
    results = search_stories(query, Story.objects.public())
    assert results.estimated
    assert results.matches is not None and results.matches.count() == 120
    assert 60 <= results.total <= 240, results.total


def test_estimates_are_rounded_to_two_figures() -> None:
    assert about(24857) == 25000
    assert about(1234) == 1200
    assert about(87) == 87


def test_a_search_costs_the_same_statements_at_any_size(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few matches, a full window, and many more than the window: the same statements."""
    monkeypatch.setattr(engine, "RANKED", 5)

    def statements(query: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/stories/", {"q": query}).status_code == 200
        run = run_statements(queries)
        if connection.vendor == "postgresql":
            # Typo lookup, ranked window (with what an estimate needs), facet offers,
            # facet counts, the page with its highlights, and its cards' components,
            # platforms and impacts.
            assert len(run) == 6, run
        return len(queries)

    StoryFactory.create_batch(2, title="Wombat outage", summary="wombat")
    index_stories()
    few = statements("wombat")
    StoryFactory.create_batch(30, title="Wombat outage", summary="wombat")
    index_stories()
    assert statements("wombat") == few
    assert statements("wombat outage") == few


@pytest.mark.postgres
def test_near_matches_are_looked_for_among_a_bounded_number_of_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stories holding the words of a phrase apart are candidates the GIN index cannot
    rule out: at most EXAMINED of them are read, and every match stays reachable."""
    monkeypatch.setattr(engine, "EXAMINED", 4)
    for n in range(6):
        StoryFactory(title=f"Quokka wombat apart {n}", summary="lookup of the dns, numbat")
    near = StoryFactory(title="Quokka wombat", summary="dns lookups failed")
    index_stories()
    with CaptureQueriesContext(connection) as queries:
        results = search_stories('"dns lookups" quokka wombat numbat', Story.objects.public())
    assert any("LIMIT 4) seen WHERE search_matched" in q["sql"] for q in queries)
    assert results.partial and results.full_count == 0
    # Every story matches some group: all are reachable, the window holds them all.
    assert results.matches is not None and results.matches.count() == 7
    assert sorted(results.story_ids) == sorted(s.pk for s in Story.objects.all())
    assert near.pk in results.story_ids


@pytest.mark.postgres
def test_when_more_than_the_window_match_every_word_a_sample_is_ranked(
    client: Client, many: list[Story], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "SAMPLED", 2)
    results = search_stories("quokka", Story.objects.public())
    assert len(results.story_ids) == 2 and results.capped and results.estimated
    body = client.get("/stories/", {"q": "quokka"}).content.decode()
    assert "Many stories match: 2 of them are ranked by relevance" in body
    seen = every_title(client)
    assert sorted(seen) == sorted(s.title for s in many)


@pytest.mark.postgres
def test_when_few_match_every_word_and_more_than_the_window_match_some_a_sample_follows(
    client: Client, many: list[Story], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "SAMPLED", 1)
    both = StoryFactory(title="Quokka meets numbat", summary="quokka numbat")
    index_stories()
    results = search_stories("quokka numbat", Story.objects.public())
    assert results.full_count == 1 and results.capped and results.estimated
    # The story matching every word, then a sample of those matching some (it may be
    # one of them): not the RANKED first found.
    assert results.story_ids[0] == both.pk and len(results.story_ids) <= 2
    # Every story matching some word stays reachable past the window.
    assert results.matches is not None and results.matches.count() == len(many) + 1
    body = client.get("/stories/", {"q": "quokka numbat"}).content.decode()
    ranked = len(results.story_ids)
    assert f"Many stories match: {ranked} of them are ranked by relevance" in body
