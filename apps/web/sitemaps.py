import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from apps.catalog.models import Component, Mitigation, Organization, Story, StoryStatus


class StorySitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self) -> QuerySet[Story]:
        return Story.objects.public().order_by("slug")

    def lastmod(self, item: Story) -> datetime.datetime:
        return item.updated_at


class ComponentSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Component]:
        return Component.objects.order_by("slug")


class MitigationSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> QuerySet[Mitigation]:
        return Mitigation.objects.order_by("slug")

    def lastmod(self, item: Mitigation) -> datetime.datetime:
        return item.updated_at


class OrganizationSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> QuerySet[Organization]:
        return (
            Organization.objects.filter(stories__status=StoryStatus.PUBLISHED)
            .distinct()
            .order_by("slug")
        )


class PageSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self) -> list[str]:
        return [
            "web:home",
            "web:story-list",
            "web:component-list",
            "web:mitigation-list",
            "web:organization-list",
            "web:trends",
        ]

    def location(self, item: str) -> str:  # type: ignore[override]
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "stories": StorySitemap,
    "components": ComponentSitemap,
    "mitigations": MitigationSitemap,
    "organizations": OrganizationSitemap,
}
