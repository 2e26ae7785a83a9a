"""Search fixtures, shared with the API's search tests."""

import pytest
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Story
from apps.search import engine
from apps.search.indexing import index_stories
from tests.factories import StoryFactory


@pytest.fixture
def many(monkeypatch: pytest.MonkeyPatch) -> list[Story]:
    """25 published stories that match "quokka", more than the ranked window of 3 holds
    (each a little stronger than the one before), and one draft that matches too."""
    monkeypatch.setattr(engine, "RANKED", 3)
    made = [
        StoryFactory(title=f"Quokka outage number {n}", summary="quokka " * (n + 1))
        for n in range(25)
    ]
    StoryFactory(title="Unpublished quokka", summary="quokka", status=Story.Status.DRAFT)
    index_stories()
    return made


def run_statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements a request ran, without the savepoints that are there only because a
    test runs inside a transaction."""
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
