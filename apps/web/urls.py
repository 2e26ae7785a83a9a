from django.urls import path

from apps.web import views

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
    path(
        "organizations/<slug:slug>/",
        views.OrganizationDetailView.as_view(),
        name="organization-detail",
    ),
]
