"""The sitemap index and its sections; a section of stories is cut into pages of 5,000."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.catalog.models import Component, Mitigation, Organization, Story
from apps.catalog.paging import StoryPaginator
from apps.search.facets import public_facet_counts


class _SiteSitemap(Sitemap):
    """Locations on SITE_URL, like every other absolute link the site writes, not on the
    Host header of the request that asked."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site: object = None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class StorySitemap(_SiteSitemap):
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


class ComponentSitemap(_SiteSitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Component]:
        return Component.objects.public().order_by("slug")


class MitigationSitemap(_SiteSitemap):
    changefreq = "monthly"

    def items(self) -> QuerySet[Mitigation]:
        return Mitigation.objects.public().only("slug", "updated_at").order_by("slug")

    def lastmod(self, item: Mitigation) -> datetime.datetime:
        return item.updated_at

    def get_latest_lastmod(self) -> datetime.datetime | None:
        return Mitigation.objects.public().aggregate(latest=Max("updated_at"))["latest"]


class OrganizationSitemap(_SiteSitemap):
    changefreq = "monthly"

    limit = 5000

    def items(self) -> QuerySet[Organization]:
        return Organization.objects.public().order_by("slug")

    @property
    def paginator(self) -> Paginator:
        count = public_facet_counts()["organizations"]
        return StoryPaginator(self.items(), self.limit, count=count)


class PageSitemap(_SiteSitemap):
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


def sitemap_index(request: HttpRequest, **kwargs: object) -> TemplateResponse:
    """Django's index, with its section locations moved onto SITE_URL."""
    response = sitemap_views.index(request, **kwargs)  # type: ignore[arg-type]
    here = f"{request.scheme}://{request.get_host()}"
    for item in response.context_data["sitemaps"]:  # type: ignore[index]
        item.location = settings.SITE_URL + item.location.removeprefix(here)
    return response
