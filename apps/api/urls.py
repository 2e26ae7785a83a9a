from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from apps.api import affected, submissions, views

app_name = "api"

router = DefaultRouter()
router.register("stories", views.StoryViewSet, basename="story")
router.register("components", views.ComponentViewSet, basename="component")
router.register("mitigations", views.MitigationViewSet, basename="mitigation")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("upstream-issues", views.UpstreamIssueViewSet, basename="upstream-issue")
router.register("submissions", submissions.SubmissionViewSet, basename="submission")

# Redoc injects <style> elements and starts a blob: worker; only its page allows that.
redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api:schema")
)

urlpatterns = [
    path("", views.GuideView.as_view(), name="guide"),
    path("v1/affected/", affected.AffectedView.as_view(), name="affected"),
    path("v1/", include(router.urls)),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", redoc, name="redoc"),
    # Anything else under /api/ is a JSON 404 in the API's error shape.
    re_path(r"^[\s\S]*$", views.not_found),
]
