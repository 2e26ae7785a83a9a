"""The stored public counts move by the stories each refresh is told about, and always equal
counting the whole catalogue again, whatever path made the writes."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.counts import stored_counts, update_counts
from apps.catalog.models import (
    CatalogueChange,
    CatalogueCount,
    Component,
    CountedStory,
    ImpactKind,
    Source,
    Story,
    StoryMitigation,
)
from apps.catalog.refresh import refresh_aggregates
from apps.search.facets import facet_counts, public_facet_counts
from apps.web.views.trends import trends_counts
from tests.factories import (
    ComponentAreaFactory,
    ComponentFactory,
    MitigationFactory,
    OrganizationFactory,
    PlatformFactory,
    SourceFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db


def _recounted() -> dict[str, int]:
    """What a full recount stores, leaving the stored counts as they were."""
    kept = list(CatalogueCount.objects.values_list("key", "stories"))
    kept_stories = list(CountedStory.objects.values_list("story_id", "keys"))
    update_counts(story_ids=(), recount=True)
    recount = stored_counts()
    CatalogueCount.objects.all().delete()
    CountedStory.objects.all().delete()
    CatalogueCount.objects.bulk_create([CatalogueCount(key=k, stories=n) for k, n in kept])
    CountedStory.objects.bulk_create([CountedStory(story_id=s, keys=k) for s, k in kept_stories])
    return recount


def _check() -> None:
    refresh_aggregates()
    assert not CatalogueChange.objects.exists()
    assert stored_counts() == _recounted()
    # The facets the pages show, from the stored counts, equal the ones counted in SQL.
    stored = public_facet_counts()
    counted = facet_counts(Story.objects.public())
    for facet in ("area", "component", "platform", "impact", "kind", "year", "organization"):
        assert stored[facet] == counted[facet], facet
    assert stored["total"] == Story.objects.public().count()


def test_counts_equal_a_full_recount_after_a_series_of_changes() -> None:
    control = ComponentAreaFactory(slug="control", position=1)
    network = ComponentAreaFactory(slug="network", position=2)
    etcd = ComponentFactory(slug="etcd", area=control)
    dns = ComponentFactory(slug="dns", area=network)
    aws, gcp = PlatformFactory(slug="aws"), PlatformFactory(slug="gcp")
    outage = ImpactKind.objects.create(slug="outage", name="Outage")
    acme, globex = OrganizationFactory(slug="acme"), OrganizationFactory(slug="globex")
    cache = MitigationFactory(slug="node-local-dns-cache")
    stories = [
        StoryFactory(
            organization=acme if n % 2 else globex,
            published_on=date(2018 + n % 3, 1, 1),
            components=[etcd, dns] if n % 3 == 0 else [dns],
        )
        for n in range(9)
    ]
    _check()

    first, second, third, fourth = stories[:4]
    # An approval, an edit, a retraction, through the ORM and through queryset updates.
    draft = StoryFactory(status=Story.Status.DRAFT, components=[etcd], organization=acme)
    _check()
    Story.objects.filter(pk=draft.pk).update(status=Story.Status.PUBLISHED)
    _check()
    first.platforms.add(aws, gcp)
    first.impacts.add(outage)
    SourceFactory(story=first, kind="talk")
    StoryMitigation.objects.create(story=first, mitigation=cache)
    _check()
    Story.objects.filter(pk=second.pk).update(published_on=date(2015, 6, 1), organization=None)
    second.components.set([etcd])
    _check()
    third.status = Story.Status.RETRACTED
    third.save()
    Source.objects.filter(story=fourth).update(kind="postmortem")
    _check()
    # A component moves to another area: every story naming it moves with it.
    Component.objects.filter(pk=etcd.pk).update(area=network)
    _check()
    fourth.delete()
    first.platforms.remove(gcp)
    _check()
    counts = stored_counts()
    assert counts["t"] == Story.objects.public().count() == 8
    assert counts[f"m{cache.pk}"] == 1
    assert f"a{control.pk}" not in counts  # nothing is in the control area any more


def test_a_refresh_costs_the_same_few_statements_whatever_the_catalogue_size() -> None:
    dns = ComponentFactory(slug="dns")

    def refresh_after_one_change() -> int:
        story = StoryFactory(components=[dns])
        with CaptureQueriesContext(connection) as captured:
            refresh_aggregates()
        story.platforms.add(PlatformFactory())
        return len(captured)

    StoryFactory.create_batch(3, components=[dns])
    refresh_aggregates()
    few = refresh_after_one_change()
    StoryFactory.create_batch(30, components=[dns])
    refresh_aggregates()
    assert refresh_after_one_change() == few
    refresh_aggregates()
    assert stored_counts() == _recounted()


def test_trends_from_the_stored_counts() -> None:
    area = ComponentAreaFactory(slug="control", name="Control plane", position=1)
    etcd = ComponentFactory(slug="etcd", name="etcd", area=area)
    aws = PlatformFactory(slug="aws", name="AWS")
    StoryFactory(published_on=date(2019, 1, 1), components=[etcd]).platforms.add(aws)
    StoryFactory(published_on=date(2021, 1, 1), components=[etcd])
    StoryFactory(published_on=date(2021, 3, 1), components=[etcd], status=Story.Status.DRAFT)
    refresh_aggregates()
    data = trends_counts()
    assert data["year_counts"] == [{"year": 2019, "stories": 1}, {"year": 2021, "stories": 1}]
    assert sorted((r["year"], r["area_slug"], r["stories"]) for r in data["year_area_counts"]) == [
        (2019, "control", 1),
        (2021, "control", 1),
    ]
    assert [(r["component_slug"], r["stories"]) for r in data["component_counts"]] == [("etcd", 2)]
    assert [(r["platform_slug"], r["stories"]) for r in data["platform_counts"]] == [
        ("aws", 1),
        (None, 1),
    ]
