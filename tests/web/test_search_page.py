"""The list page as a search page: pasted errors, partial matches, facet offers,
typo corrections, no dead ends, and a constant number of SQL queries."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from apps.search.indexing import index_stories
from tests.factories import ComponentFactory, PlatformFactory, StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue() -> dict[str, Story]:
    dns = ComponentFactory(
        slug="dns", name="Cluster DNS", aliases=["kube-dns", "GKE node auto-repair"]
    )
    gke = PlatformFactory(slug="gke", name="Google Kubernetes Engine", aliases=["GKE"])
    stories = {
        "timeout": StoryFactory(
            title="Lookups timed out after five seconds",
            summary="Pods saw dial udp i/o timeout errors when the conntrack race dropped packets.",
            components=[dns],
        ),
        "etcd": StoryFactory(
            title="etcd ran out of space",
            summary="The NOSPACE alarm fired: database space exceeded, and writes failed.",
        ),
        "gke": StoryFactory(title="Upgrade on a managed cluster", summary="A quiet upgrade."),
        "draft": StoryFactory(
            title="Secret quokkaflux draft",
            summary="quokkaflux etcd",
            status=Story.Status.DRAFT,
        ),
    }
    for number in range(25):
        StoryFactory(
            title=f"Filler story {number}",
            summary="An etcd member was slow.",
            published_on=datetime.date(2015, 1, 1),
        )
    stories["gke"].platforms.add(gke)
    index_stories()
    return stories


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [story.title for story in response.context["stories"]]


def test_a_pasted_go_error_finds_its_story(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/", {"q": "etcdserver: mvcc: database space exceeded"})
    assert titles(response)[0] == "etcd ran out of space"


def test_a_pasted_log_line_is_normalised_and_says_so(
    client: Client, catalogue: dict[str, Story]
) -> None:
    paste = "2024-02-10T10:12:31.123Z E0210 dial udp 10.3.0.10:53: i/o timeout\n" * 20
    response = client.get("/stories/", {"q": paste})
    assert titles(response)[0] == "Lookups timed out after five seconds"
    assert any("left out" in m for m in response.context["browse"].messages)


def test_no_full_match_falls_back_to_partial_matches(
    client: Client, catalogue: dict[str, Story]
) -> None:
    response = client.get("/stories/", {"q": "conntrack wombatish zebrafied"})
    assert titles(response) == ["Lookups timed out after five seconds"]
    assert any("most of them" in m for m in response.context["browse"].messages)


def test_component_aliases_no_longer_match_every_story_of_the_component(
    client: Client, catalogue: dict[str, Story]
) -> None:
    # "GKE node auto-repair" is an alias of DNS here; only the GKE story says GKE.
    assert titles(client.get("/stories/", {"q": "gke"})) == ["Upgrade on a managed cluster"]


def test_a_query_naming_a_component_offers_its_facet(
    client: Client, catalogue: dict[str, Story]
) -> None:
    response = client.get("/stories/", {"q": "kube-dns timeout"})
    offers = response.context["browse"].offers
    assert [o.text for o in offers] == ["Filter to Cluster DNS?"]
    assert "component=dns" in offers[0].url
    assert b"Filter to Cluster DNS?" in response.content


def test_components_are_offered_before_platforms_each_by_name(
    client: Client, catalogue: dict[str, Story]
) -> None:
    ComponentFactory(slug="quokka-proxy", name="Quokka proxy", aliases=["qproxy"])
    PlatformFactory(slug="quokka-cloud", name="Quokka Cloud", aliases=["QKE"])
    PlatformFactory(slug="another-quokka", name="Another Quokka", aliases=["qke2"])
    response = client.get("/stories/", {"q": "qke2 qke qproxy kube-dns"})
    assert [o.text for o in response.context["browse"].offers] == [
        "Filter to Cluster DNS?",
        "Filter to Quokka proxy?",
        "On Another Quokka?",
        "On Quokka Cloud?",
    ]


def test_typos_are_corrected(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/", {"q": "conntrak"})
    assert titles(response) == ["Lookups timed out after five seconds"]
    assert any("conntrack" in m for m in response.context["browse"].messages)
    # The passage marks the word it was found by, the corrected one.
    assert "<mark>conntrack</mark>" in response.content.decode()


def test_no_results_is_never_a_dead_end(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/", {"q": "zzqxv", "component": "dns"})
    assert titles(response) == []
    body = response.content.decode()
    assert "Try one of these" in body
    assert "The same search in all stories" in body
    assert "CPU throttling" in body
    assert "No stories match “zzqxv” with these filters." in body
    # The search alone is no filter.
    body = client.get("/stories/", {"q": "zzqxv"}).content.decode()
    assert "No stories match “zzqxv”." in body


def test_drafts_are_never_found_or_suggested(client: Client, catalogue: dict[str, Story]) -> None:
    response = client.get("/stories/", {"q": "quokkaflux"})
    assert titles(response) == []
    assert b"quokkaflux draft" not in response.content


def test_the_box_takes_a_long_paste(client: Client, catalogue: dict[str, Story]) -> None:
    assert b'maxlength="2000"' in client.get("/stories/").content


def test_counts_are_exact_and_every_result_is_reachable(
    client: Client, catalogue: dict[str, Story]
) -> None:
    first = client.get("/stories/", {"q": "etcd"})
    assert first.context["paginator"].count == 26
    seen = set(titles(first))
    for page in range(2, first.context["paginator"].num_pages + 1):
        seen |= set(titles(client.get("/stories/", {"q": "etcd", "page": page})))
    assert len(seen) == 26


def test_search_runs_a_constant_number_of_queries(
    client: Client, catalogue: dict[str, Story]
) -> None:
    counts = []
    for q in (
        "etcd",
        "etcd space",
        "conntrack wombatish",
        "etdc",
        "dial udp 10.0.0.1:53: i/o timeout",
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/stories/", {"q": q}).status_code == 200
        counts.append(len(queries))
    if connection.vendor == "postgresql":
        assert len(set(counts)) == 1, counts
    else:
        # SQLite skips typo lookups with no word to correct and asks a second time
        # when no story matches every word.
        assert max(counts) - min(counts) <= 2, counts


def test_a_matching_symptom_shows_why_the_story_was_found(client: Client, db: None) -> None:
    StoryFactory(
        title="A quiet title",
        summary="Nothing about the error here.",
        symptoms=["Readiness probe failed: HTTP 503", "zqxlog: wombat exhausted"],
    )
    index_stories()
    response = client.get("/stories/", {"q": "zqxlog wombat exhausted"})
    body = response.content.decode()
    assert "What you would have seen" in body
    assert "<mark>wombat</mark>" in body
    assert "Readiness probe failed" not in body
