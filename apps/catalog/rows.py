"""The rows a story's relations hold, read for many stories at once as plain tuples: one
query a relation and no model instances, as an import and the search index read
thousands of stories in a batch."""

from typing import Any

from django.db.models import QuerySet

# {relation: (its rows, in the order they are read; the columns read of each)}
Relations = dict[str, tuple[QuerySet[Any], tuple[str, ...]]]
# {relation: {story id: [its rows' columns]}}
RowsByStory = dict[str, dict[int, list[tuple[Any, ...]]]]


def rows_by_story(relations: Relations, ids: list[int]) -> RowsByStory:
    """Each relation's rows of the stories `ids`, by story, in the queryset's order."""
    found: RowsByStory = {}
    for relation, (queryset, columns) in relations.items():
        rows = found[relation] = {}
        for story_id, *values in queryset.filter(story_id__in=ids).values_list(
            "story_id", *columns
        ):
            rows.setdefault(story_id, []).append(tuple(values))
    return found
