"""The one search function, on whichever database the suite runs (SQLite or PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from apps.search.engine import search_stories, snippets
from apps.search.indexing import index_stories
from apps.search.query import MAX_QUERY_LENGTH, parse_query
from tests.factories import ComponentFactory, OrganizationFactory, StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories() -> dict[str, Story]:
    dns = ComponentFactory(slug="dns", name="Cluster DNS", aliases=["ndots", "kube-dns"])
    cpu = ComponentFactory(slug="cpu-throttling", name="CPU throttling", aliases=["CFS quota"])
    made = {
        "title": StoryFactory(
            title="CPU throttling in production",
            summary="Latency rose for a payments service.",
            components=[cpu],
        ),
        "body": StoryFactory(
            title="Slow checkout",
            summary="Containers were throttled by the kernel even below their limit.",
            components=[cpu],
        ),
        "ndots": StoryFactory(
            title="A perfect DNS storm",
            summary='Every lookup was tried five times because of "ndots:5" on AWS.',
            components=[dns],
            organization=OrganizationFactory(name="Toyota Connected", slug="toyota"),
        ),
        "ndots-gcp": StoryFactory(
            title="DNS latency on GKE",
            summary="The default ndots:5 multiplied queries; this ran on GCP.",
            components=[dns],
        ),
        "draft": StoryFactory(
            title="Unpublished throttling draft",
            summary="throttled throttled throttled",
            status=Story.Status.DRAFT,
            components=[cpu],
        ),
    }
    made["ndots"].platforms.create(slug="aws", name="AWS")
    index_stories()
    return made


def found(query: str, base=None) -> list[str]:  # type: ignore[no-untyped-def]
    results = search_stories(query, base if base is not None else Story.objects.public())
    titles = dict(Story.objects.values_list("pk", "title"))
    return [titles[pk] for pk in results.story_ids]


def test_stemming_finds_other_forms(stories: dict[str, Story]) -> None:
    assert set(found("throttled")) == {"CPU throttling in production", "Slow checkout"}


def test_title_outweighs_body(stories: dict[str, Story]) -> None:
    assert found("throttling")[0] == "CPU throttling in production"


def test_phrases_and_exclusions(stories: dict[str, Story]) -> None:
    assert set(found('"ndots:5"')) == {"A perfect DNS storm", "DNS latency on GKE"}
    assert found('"ndots:5" -aws') == ["DNS latency on GKE"]
    assert found('"payments service"') == ["CPU throttling in production"]
    assert found('"service payments"') == []


def test_organization_component_names_and_aliases_are_searched(stories: dict[str, Story]) -> None:
    assert found("toyota") == ["A perfect DNS storm"]
    assert set(found("kube-dns")) == {"A perfect DNS storm", "DNS latency on GKE"}
    assert "Slow checkout" in found("CFS quota")


def test_unpublished_stories_are_never_found(stories: dict[str, Story]) -> None:
    assert "Unpublished throttling draft" not in found("throttled")
    assert "Unpublished throttling draft" not in found("unpublished")


def test_results_stay_inside_the_given_stories(stories: dict[str, Story]) -> None:
    only = Story.objects.filter(pk=stories["body"].pk)
    assert found("throttled", only) == ["Slow checkout"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        ":::",
        "!!! ??? ...",
        '"',
        '""',
        "-",
        "-aws",
        "AND OR NOT",
        "NEAR(a b)",
        "title:dns",
        "*",
        "dns*",
        "'; DROP TABLE catalog_story; --",
        "\x00\x01",
        "ü" * 300,
        "throttled " * 2000,
        "a" * 10_000,
    ],
)
def test_odd_queries_never_fail(stories: dict[str, Story], query: str) -> None:
    results = search_stories(query, Story.objects.public())
    assert results.problem == ""
    assert isinstance(results.story_ids, list)
    assert len(results.query.text) <= MAX_QUERY_LENGTH
    assert Story.objects.count() == 5


def test_snippets_highlight_matches_and_escape_text(stories: dict[str, Story]) -> None:
    story = StoryFactory(
        title="Escaping", summary="A <script>alert(1)</script> payload next to throttling."
    )
    index_stories([story.pk])
    parsed = parse_query("throttling")
    result = snippets(parsed, [story.pk, stories["body"].pk, stories["title"].pk])
    passage = result[story.pk].passage
    assert "<mark>throttling</mark>" in passage
    # PostgreSQL's headline drops tag-like words; SQLite keeps them. Either way, escaped.
    assert "<script" not in passage
    assert "<" not in passage.replace("<mark>", "").replace("</mark>", "")
    assert "<mark>throttled</mark>" in result[stories["body"].pk].passage
    # "CPU throttling" is a thesaurus phrase, so the whole phrase may be marked.
    assert "throttling</mark> in production" in result[stories["title"].pk].title


def test_reindexing_follows_edits(stories: dict[str, Story]) -> None:
    story = stories["body"]
    story.summary = "Rewritten to mention conntrack."
    story.save()
    assert found("conntrack") == []
    index_stories([story.pk])
    assert found("conntrack") == ["Slow checkout"]
    story_id = story.pk
    story.delete()
    index_stories([story_id])
    assert found("conntrack") == []


def test_engine_matches_the_database(stories: dict[str, Story]) -> None:
    document = stories["body"].search_document
    if connection.vendor == "postgresql":
        assert document.vector is not None
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_story_fts")
            assert cursor.fetchone()[0] == Story.objects.count()


@pytest.mark.postgres
def test_postgres_uses_the_gin_index(stories: dict[str, Story]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_document_vector_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "USING gin (vector)" in definition


def test_few_full_matches_are_followed_by_stories_matching_some_words(
    stories: dict[str, Story],
) -> None:
    results = search_stories("throttled payments", Story.objects.public())
    titles = dict(Story.objects.values_list("pk", "title"))
    assert [titles[pk] for pk in results.story_ids] == [
        "CPU throttling in production",
        "Slow checkout",
    ]
    assert results.full_count == 1 and results.total == 2
    assert not results.partial


def _scans(plan: dict, through_subplan: bool = False):  # type: ignore[no-untyped-def]
    """(node, reached through a SubPlan) for every node of an EXPLAIN (FORMAT JSON) plan."""
    through_subplan = through_subplan or plan.get("Parent Relationship") == "SubPlan"
    yield plan, through_subplan
    for child in plan.get("Plans", []):
        yield from _scans(child, through_subplan)


@pytest.mark.postgres
def test_postgres_checks_the_searched_stories_row_by_row(stories: dict[str, Story]) -> None:
    """The tiers check that a candidate is one of the stories searched with a probe per
    candidate, never as a join, which could read the whole stories table to meet a few
    hundred candidates."""
    with CaptureQueriesContext(connection) as queries:
        search_stories("throttled payments", Story.objects.public())
    (window,) = [q["sql"] for q in queries if q["sql"].startswith("WITH full_match_found")]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {window}")
        (plan,) = cursor.fetchone()[0]
    checks = [
        through_subplan
        for node, through_subplan in _scans(plan["Plan"])
        if node.get("Relation Name") == Story._meta.db_table and node.get("Alias") != "s"
    ]
    assert checks and all(checks)
