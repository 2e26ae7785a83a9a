"""What a story card shows besides the story's own row: its components, platforms and
impacts, read for a whole page of stories in one query.

prefetch_related("components", "platforms", "impacts") reads them in three queries and
builds a model instance for each row, and a related manager and a queryset for each story
and relation: about 6 ms of every list page, for a few slugs and names.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from apps.catalog.models import Component, ComponentArea, ImpactKind, Platform, Story
from apps.catalog.slugs import filtered_url, slug_url
from apps.core.lookups import bigint_array


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str


@dataclass(frozen=True)
class ComponentTag(Tag):
    def get_absolute_url(self) -> str:
        return slug_url("web:component-detail", self.slug)


@dataclass(frozen=True)
class PlatformTag(Tag):
    def get_absolute_url(self) -> str:
        return filtered_url("web:story-list", "platform", self.slug)


@dataclass
class StoryTags:
    """A story's tags, each kind in the taxonomy's order (as the models' Meta.ordering)."""

    components: list[ComponentTag] = field(default_factory=list)
    platforms: list[PlatformTag] = field(default_factory=list)
    impacts: list[Tag] = field(default_factory=list)


def with_tags(stories: Iterable[Story]) -> list[Story]:
    """`stories`, each with `tags` (StoryTags) set."""
    stories = list(stories)
    tags = {story.pk: StoryTags() for story in stories}
    for story in stories:
        story.tags = tags[story.pk]  # type: ignore[attr-defined]
    if not stories:
        return stories
    ids: list[int | str] = [*tags]
    condition = f"IN ({', '.join(['%s'] * len(ids))})"
    if connection.vendor == "postgresql":
        # The ids as one array parameter (see apps/core/lookups.py).
        condition, ids = "= ANY(%s::bigint[])", [bigint_array(tags)]
    with connection.cursor() as cursor:
        cursor.execute(_tags_sql(condition), ids * 3)
        for kind, story_id, slug, name, *_ in cursor.fetchall():
            if kind == "c":
                tags[story_id].components.append(ComponentTag(slug, name))
            elif kind == "p":
                tags[story_id].platforms.append(PlatformTag(slug, name))
            else:
                tags[story_id].impacts.append(Tag(slug, name))
    return stories


def _tags_sql(condition: str) -> str:
    """Rows (kind, story id, slug, name, then the sort keys) of the stories whose ids
    `condition` (on the story id, with one set of parameters) holds for, by story, then in
    each taxonomy's order."""
    components = Story.components.through._meta.db_table
    platforms = Story.platforms.through._meta.db_table
    impacts = Story.impacts.through._meta.db_table
    component, area = Component._meta.db_table, ComponentArea._meta.db_table
    platform, impact = Platform._meta.db_table, ImpactKind._meta.db_table
    return (
        "SELECT 'c', l.story_id, c.slug, c.name, a.position, c.position "  # noqa: S608 - table names
        f"FROM {components} l JOIN {component} c ON c.id = l.component_id "
        f"JOIN {area} a ON a.id = c.area_id WHERE l.story_id {condition} "
        "UNION ALL SELECT 'p', l.story_id, p.slug, p.name, 0, p.position "
        f"FROM {platforms} l JOIN {platform} p ON p.id = l.platform_id "
        f"WHERE l.story_id {condition} "
        "UNION ALL SELECT 'i', l.story_id, i.slug, i.name, 0, i.position "
        f"FROM {impacts} l JOIN {impact} i ON i.id = l.impactkind_id "
        f"WHERE l.story_id {condition} "
        "ORDER BY 2, 1, 5, 6, 4"
    )
