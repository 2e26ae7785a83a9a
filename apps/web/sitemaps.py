"""The sitemap index and its sections; a section of stories is cut into pages of 5,000."""

import datetime

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.urls import reverse

from apps.catalog.models import Component, Mitigation, Organization, Story
from apps.search.facets import public_facet_counts
from apps.web.views.paging import StoryPaginator


class StorySitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 5000

    def items(self) -> QuerySet[Story]:
        return Story.objects.public().only("slug", "updated_at").order_by("slug")

    def lastmod(self, item: Story) -> datetime.datetime:
        return item.updated_at

    def get_latest_lastmod(self) -> None:
        # Django's default reads every story; the index may leave lastmod out.
        return None

    @property
    def paginator(self) -> Paginator:
        return StoryPaginator(self.items(), self.limit, count=public_facet_counts()["total"])


class ComponentSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Component]:
        return Component.objects.order_by("slug")


class MitigationSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> QuerySet[Mitigation]:
        return Mitigation.objects.only("slug", "updated_at").order_by("slug")

    def lastmod(self, item: Mitigation) -> datetime.datetime:
        return item.updated_at

    def get_latest_lastmod(self) -> datetime.datetime | None:
        return Mitigation.objects.aggregate(latest=Max("updated_at"))["latest"]


class OrganizationSitemap(Sitemap):
    changefreq = "monthly"

    limit = 5000

    def items(self) -> QuerySet[Organization]:
        return Organization.objects.filter(
            pk__in=Story.objects.public().values("organization")
        ).order_by("slug")

    @property
    def paginator(self) -> Paginator:
        count = public_facet_counts()["organizations"]
        return StoryPaginator(self.items(), self.limit, count=count)


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
