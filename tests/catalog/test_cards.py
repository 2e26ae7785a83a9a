"""A page of story cards reads its tags in one query, the same tags in the same order as
the stories' own relations."""

from typing import Any

import pytest

from apps.catalog.cards import with_tags
from apps.catalog.models import ImpactKind, Story
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    PlatformFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


def _stories() -> list[Story]:
    first, second = ComponentAreaFactory(position=2), ComponentAreaFactory(position=1)
    components = [
        ComponentFactory(area=first, position=0, name="Zeta"),
        ComponentFactory(area=second, position=3, name="Beta"),
        ComponentFactory(area=second, position=3, name="Alpha"),
        ComponentFactory(area=second, position=1, name="Omega"),
    ]
    platforms = [PlatformFactory(position=2), PlatformFactory(position=1)]
    impacts = [
        ImpactKind.objects.create(slug=f"impact-{n}", name=f"Impact {n}", position=5 - n)
        for n in range(3)
    ]
    stories = [
        StoryFactory(components=components),
        StoryFactory(components=components[2:]),
        StoryFactory(components=[]),
    ]
    stories[0].platforms.set(platforms)
    stories[0].impacts.set(impacts)
    stories[1].impacts.set(impacts[:1])
    return stories


def test_tags_are_the_relations_in_their_order(django_assert_num_queries: Any) -> None:
    stories = _stories()
    expected = {
        story.pk: (
            [(c.slug, c.name) for c in story.components.all()],
            [(p.slug, p.name) for p in story.platforms.all()],
            [(i.slug, i.name) for i in story.impacts.all()],
        )
        for story in Story.objects.for_list()
    }
    page = list(Story.objects.filter(pk__in=[s.pk for s in stories]).order_by("pk"))
    with django_assert_num_queries(1):
        tagged = with_tags(page)
    assert len(tagged) == 3
    for story in tagged:
        tags = story.tags  # type: ignore[attr-defined]
        assert (
            [(c.slug, c.name) for c in tags.components],
            [(p.slug, p.name) for p in tags.platforms],
            [(i.slug, i.name) for i in tags.impacts],
        ) == expected[story.pk]
    assert [c.name for c in tagged[0].tags.components] == ["Omega", "Alpha", "Beta", "Zeta"]  # type: ignore[attr-defined]


def test_a_component_tag_links_to_its_page() -> None:
    component = ComponentFactory()
    (story,) = with_tags([StoryFactory(components=[component])])
    (tag,) = story.tags.components  # type: ignore[attr-defined]
    assert tag.get_absolute_url() == component.get_absolute_url()


def test_no_stories_read_nothing(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert with_tags([]) == []
