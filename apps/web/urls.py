from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from apps.web.feeds import ComponentFeed, SearchFeed, StoriesFeed
from apps.web.sitemaps import SITEMAPS, sitemap_index
from apps.web.views import browse as views
from apps.web.views.errors import robots_txt
from apps.web.views.trends import TrendsView

app_name = "web"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("stories/", views.StoryListView.as_view(), name="story-list"),
    path("stories/<slug:slug>/", views.StoryDetailView.as_view(), name="story-detail"),
    path("components/", views.ComponentListView.as_view(), name="component-list"),
    path("components/<slug:slug>/", views.ComponentDetailView.as_view(), name="component-detail"),
    path("mitigations/", views.MitigationListView.as_view(), name="mitigation-list"),
    path(
        "mitigations/<slug:slug>/", views.MitigationDetailView.as_view(), name="mitigation-detail"
    ),
    path("organizations/", views.OrganizationListView.as_view(), name="organization-list"),
    path(
        "organizations/<slug:slug>/",
        views.OrganizationDetailView.as_view(),
        name="organization-detail",
    ),
    path("trends/", TrendsView.as_view(), name="trends"),
    path("feeds/stories.atom", StoriesFeed(), name="feed-stories"),
    path("feeds/search.atom", SearchFeed(), name="feed-search"),
    path("feeds/components/<slug:slug>.atom", ComponentFeed(), name="feed-component"),
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "web:sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", robots_txt, name="robots"),
]
