"""Facet counts of a few filter values survive the refreshes that cannot change them, and
only those: a change to a story they count, or once counted, is on the page at once."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import CatalogueAggregate, CatalogueChange, Story
from apps.catalog.refresh import refresh_aggregates
from apps.catalog.scopes import SCOPE, kept_keys
from apps.search.facets import _facet_rows
from tests.factories import ComponentFactory, OrganizationFactory, PlatformFactory, StoryFactory

pytestmark = pytest.mark.django_db


def _rows() -> dict[str, CatalogueAggregate]:
    return {row.key: row for row in CatalogueAggregate.objects.filter(key__startswith="facets:")}


def _page(client: Client, url: str) -> tuple[int, dict[str, int]]:
    """The number of stories listed and the component facet's counts."""
    context = client.get(url).context
    facets = {facet.name: facet for facet in context["facets"]}
    return context["paginator"].count, {v.value: v.count for v in facets["component"].values}


def _counted_again(captured: CaptureQueriesContext) -> bool:
    return any("SELECT 'component'" in query["sql"] for query in captured.captured_queries)


def test_a_filtered_count_is_kept_until_a_story_it_selects_changes(client: Client) -> None:
    dns, etcd = ComponentFactory(slug="dns"), ComponentFactory(slug="etcd")
    story = StoryFactory(components=[dns])
    other = StoryFactory(components=[etcd])
    aws = PlatformFactory()  # a new platform is a change of the taxonomy: before the reads
    assert _page(client, "/stories/?component=dns") == (1, {"dns": 1})
    (first,) = _rows().values()
    assert first.data[SCOPE] == [["component", "dns"]]

    # Writes to stories the filter does not select, before and after: kept, not recounted.
    other.platforms.add(aws)
    StoryFactory(components=[etcd], organization=other.organization)
    other.retract(expected_version=other.version)
    with CaptureQueriesContext(connection) as captured:
        assert _page(client, "/stories/?component=dns") == (1, {"dns": 1})
    assert not _counted_again(captured)
    (kept,) = _rows().values()
    assert (kept.version > first.version, kept.computed_at) == (True, first.computed_at)

    # A story it selects gains a component; another joins the selection; one leaves it.
    story.components.add(etcd)
    assert _page(client, "/stories/?component=dns") == (1, {"dns": 1, "etcd": 1})
    joining = StoryFactory(components=[etcd], organization=other.organization)
    joining.components.add(dns)
    assert _page(client, "/stories/?component=dns") == (2, {"dns": 2, "etcd": 2})
    story.retract(expected_version=story.version)
    assert _page(client, "/stories/?component=dns") == (1, {"dns": 1, "etcd": 1})
    assert client.get("/api/v1/stories/?component=dns").json()["count"] == 1


def test_a_taxonomy_change_drops_every_filtered_count(client: Client) -> None:
    dns = ComponentFactory(slug="dns", name="DNS")
    StoryFactory(components=[dns])
    client.get("/stories/?component=dns")
    dns.name = "CoreDNS"
    dns.save()
    facets = {f.name: f for f in client.get("/stories/?component=dns").context["facets"]}
    assert [v.label for v in facets["component"].values] == ["CoreDNS"]


def test_years_and_organizations_select_by_their_count_keys() -> None:
    acme = OrganizationFactory(slug="acme")
    in_range = frozenset({"t", "y2019", f"o{acme.pk}"})
    later = frozenset({"t", "y2023", f"o{acme.pk}"})
    elsewhere = frozenset({"t", "y2019", f"o{acme.pk + 1}"})
    scopes = {
        "years": [["year_from", "2018"], ["year_to", "2020"]],
        "acme": [["organization", "acme"]],
        "acme-later": [["organization", "acme"], ["year_from", "2021"]],
        "gone": [["organization", "no-such-organization"]],
    }
    CatalogueAggregate.objects.bulk_create(
        CatalogueAggregate(key=key, version=1, data={SCOPE: scope}) for key, scope in scopes.items()
    )
    assert sorted(kept_keys(1, [])) == ["acme", "acme-later", "gone", "years"]
    assert sorted(kept_keys(1, [(frozenset(), later)])) == ["years"]
    assert sorted(kept_keys(1, [(in_range, frozenset())])) == ["acme-later"]
    moved_on = (elsewhere, elsewhere - {"y2019"} | {"y2024"})
    assert sorted(kept_keys(1, [moved_on])) == ["acme", "acme-later"]
    assert kept_keys(1, None) == []


def test_counts_taken_while_changes_are_pending_hold_no_filter_values() -> None:
    StoryFactory(published_on=date(2019, 5, 1))
    ((_, _, _, pending),) = _facet_rows(Story.objects.public())["pending"]
    assert pending == 1
    refresh_aggregates()
    assert not CatalogueChange.objects.exists()
    rows = _facet_rows(Story.objects.public())
    assert (rows["pending"][0][3], rows["total"][0][3]) == (0, 1)
