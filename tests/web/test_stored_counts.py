"""Stored catalogue counts follow every write, whichever path makes it, and never count
an unpublished story."""

import pytest
from django.db import connection
from django.test import Client

from apps.catalog.models import Story
from tests.factories import ComponentFactory, PlatformFactory, StoryFactory

pytestmark = pytest.mark.django_db


def _home_count(client: Client) -> int:
    return int(client.get("/").context["story_count"])


def _facet(client: Client, url: str, name: str) -> dict[str, int]:
    facets = {facet.name: facet for facet in client.get(url).context["facets"]}
    return {value.value: value.count for value in facets[name].values}


def test_counts_follow_approval_edit_retraction_and_bulk_writes(client: Client) -> None:
    dns = ComponentFactory(slug="dns")
    etcd = ComponentFactory(slug="etcd")
    story = StoryFactory(components=[dns])
    draft = StoryFactory(components=[dns], status=Story.Status.DRAFT)
    assert _home_count(client) == 1
    assert _facet(client, "/stories/", "component") == {"dns": 1}
    assert client.get("/stories/").context["paginator"].count == 1

    # Approval (a status change by queryset update, as the services write it).
    Story.objects.filter(pk=draft.pk).update(status=Story.Status.PUBLISHED)
    assert _home_count(client) == 2
    assert _facet(client, "/stories/", "component") == {"dns": 2}

    # An edit of the story's components.
    story.components.set([etcd])
    assert _facet(client, "/stories/", "component") == {"dns": 1, "etcd": 1}
    assert _facet(client, "/stories/?component=etcd", "component") == {"etcd": 1}
    assert client.get("/components/etcd/").context["paginator"].count == 1

    # Retraction.
    story.retract(expected_version=story.version)
    assert _home_count(client) == 1
    assert _facet(client, "/stories/", "component") == {"dns": 1}
    assert client.get("/components/etcd/").context["paginator"].count == 0
    assert client.get("/stories/?component=etcd").context["paginator"].count == 0

    # A bulk import's shape: rows and links written without model signals.
    aws = PlatformFactory(slug="aws")
    created = Story.objects.bulk_create(
        [StoryFactory.build(organization=story.organization, slug=f"bulk-{n}") for n in range(3)]
    )
    Story.platforms.through.objects.bulk_create(
        [Story.platforms.through(story_id=s.pk, platform_id=aws.pk) for s in created]
    )
    assert _home_count(client) == 4
    assert _facet(client, "/stories/", "platform") == {"aws": 3}

    # Raw SQL, too: the triggers are the database's own.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_story SET status = 'draft' WHERE slug = 'bulk-0'")
    assert _home_count(client) == 3
    assert _facet(client, "/stories/", "platform") == {"aws": 2}
    organization = f"/organizations/{story.organization.slug}/"
    assert client.get(organization).context["paginator"].count == 2
    listed = {o.slug: o.story_count for o in client.get("/organizations/").context["organizations"]}
    assert listed[story.organization.slug] == 2


def test_api_total_follows_writes(client: Client) -> None:
    story = StoryFactory()
    assert client.get("/api/v1/stories/").json()["count"] == 1
    story.retract(expected_version=story.version)
    body = client.get("/api/v1/stories/").json()
    assert (body["count"], body["results"]) == (0, [])
