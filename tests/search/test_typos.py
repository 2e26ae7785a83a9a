"""Typo correction: the same word chosen on both engines, down to the similarity floor."""

import pytest
from django.db import connection

from apps.catalog.models import Story
from apps.search.engine import search_stories
from apps.search.indexing import index_stories
from apps.search.typos import SIMILARITY, similarity
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quokka() -> Story:
    story = StoryFactory(title="The quokkaflux outage", summary="A quokkaflux ate the quorum.")
    index_stories()
    return story


@pytest.mark.parametrize("typed", ["quokaflux", "quokkaflxu"])
def test_a_mistyped_word_finds_the_story(quokka: Story, typed: str) -> None:
    results = search_stories(typed, Story.objects.public())
    assert results.corrections == {typed: "quokkaflux"}
    assert results.story_ids == [quokka.pk]


def test_a_correction_just_above_the_floor_is_made(quokka: Story) -> None:
    # Below pg_trgm's default threshold (0.3): PostgreSQL finds it only with the
    # connection's pg_trgm.similarity_threshold at SIMILARITY.
    assert SIMILARITY < similarity("quokkaflux", "quokaklfux") < 0.3
    results = search_stories("quokaklfux", Story.objects.public())
    assert results.corrections == {"quokaklfux": "quokkaflux"}


def test_known_words_are_not_corrected(quokka: Story) -> None:
    assert search_stories("quokkaflux", Story.objects.public()).corrections == {}


@pytest.mark.postgres
def test_connections_open_with_the_typo_threshold() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.similarity_threshold")
        assert float(cursor.fetchone()[0]) == SIMILARITY


@pytest.mark.postgres
def test_connections_scan_tables_from_the_start() -> None:
    # A scan that stops early (the sampled window of a common word, the typo lookup's
    # sample) would otherwise start where the last one stopped, and find other stories.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronize_seqscans")
        assert cursor.fetchone()[0] == "off"
