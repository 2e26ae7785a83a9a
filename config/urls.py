from django.contrib import admin
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import include, path

from apps.observability.views import metrics_view
from apps.web.views.account import ApiTokenView
from apps.web.views.errors import favicon
from apps.web.views.health import healthz, readyz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include("apps.api.urls")),
    path("data/", include("apps.dataset.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/token/", ApiTokenView.as_view(), name="api-token"),
    path("affected/", include("apps.web.affected_urls")),
    path("", include("apps.submissions.urls")),
    path("", include("apps.web.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
