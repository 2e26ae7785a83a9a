"""`__any_of`: `__in` with the ids as one parameter on PostgreSQL, the same rows anywhere."""

import pytest
from django.db import connection

from apps.catalog.models import Story
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds() -> None:
    stories = StoryFactory.create_batch(4)
    ids = [stories[2].pk, stories[0].pk, stories[2].pk, -1]
    found = set(Story.objects.filter(pk__any_of=ids).values_list("pk", flat=True))
    assert found == set(Story.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert found == {stories[0].pk, stories[2].pk}
    assert not Story.objects.filter(pk__any_of=[]).exists()
    # Beside other conditions, and in an OR with an empty list, as __in behaves.
    either = Story.objects.filter(pk__any_of=[]) | Story.objects.filter(pk=stories[1].pk)
    assert list(either.values_list("pk", flat=True)) == [stories[1].pk]


def test_on_postgresql_the_ids_are_one_parameter() -> None:
    sql, params = Story.objects.filter(pk__any_of=list(range(1, 301))).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert '"catalog_story"."id" = ANY(%s::bigint[])' in sql
        assert params == ("{" + ",".join(map(str, range(1, 301))) + "}",)
    else:
        assert len(params) == 300
