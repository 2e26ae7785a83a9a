"""The search index follows the catalogue through its signals (apps.catalog.signals)."""

from collections.abc import Iterable
from itertools import islice
from typing import Any

from apps.search.indexing import index_stories, unindexed_story_ids

BATCH_SIZE = 500


def reindex_changed_stories(sender: Any, story_ids: Iterable[int], **kwargs: Any) -> None:
    index_stories(story_ids)


def index_unindexed_after_import(sender: Any, **kwargs: Any) -> None:
    """After an import, index any story still without a document, a batch at a time."""
    ids = iter(unindexed_story_ids())
    while batch := list(islice(ids, BATCH_SIZE)):
        index_stories(batch)
