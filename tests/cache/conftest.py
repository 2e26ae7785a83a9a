"""Fixtures for the cache tests: a small public catalogue and people in each role."""

from typing import Any

import pytest
from django.urls import reverse

from apps.catalog.models import Story, StoryMitigation
from apps.search.indexing import index_stories
from tests.factories import MitigationFactory, OrganizationFactory, StoryFactory
from tests.submissions.conftest import member, moderator, taxonomy  # noqa: F401 (fixtures)


@pytest.fixture
def story(taxonomy: None) -> Story:  # noqa: F811
    """One published story with a component, an organization and a mitigation."""
    from apps.catalog.models import Component

    published = StoryFactory(
        slug="2020-acme-coredns-melted-down",
        title="CoreDNS melted down",
        organization=OrganizationFactory(slug="acme", name="Acme"),
        components=[Component.objects.get(slug="coredns")],
    )
    StoryMitigation.objects.create(story=published, mitigation=MitigationFactory(slug="cache"))
    index_stories()
    return published


def public_urls(story: Story) -> list[str]:
    """Every kind of anonymous page, feed and API answer over the catalogue."""
    return [
        reverse("web:home"),
        reverse("web:story-list"),
        reverse("web:story-list") + "?component=coredns",
        reverse("web:story-list") + "?q=coredns",
        story.get_absolute_url(),
        reverse("web:component-list"),
        reverse("web:component-detail", args=["coredns"]),
        reverse("web:mitigation-list"),
        reverse("web:mitigation-detail", args=["cache"]),
        reverse("web:organization-list"),
        reverse("web:organization-detail", args=["acme"]),
        reverse("web:trends"),
        reverse("web:feed-stories"),
        reverse("web:feed-component", args=["coredns"]),
        reverse("web:feed-search") + "?q=coredns",
        reverse("web:sitemap"),
        reverse("web:robots"),
        "/api/v1/stories/",
        f"/api/v1/stories/{story.slug}/",
        "/api/v1/components/",
        "/api/v1/mitigations/",
        "/api/v1/organizations/",
    ]


def cache_control(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def vary(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
