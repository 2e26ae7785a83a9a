from django.contrib import admin
from django.urls import include, path

from apps.web.views.errors import favicon
from apps.web.views.health import healthz, readyz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/", include("apps.api.urls")),
    path("", include("apps.web.urls")),
]

handler404 = "apps.web.views.errors.page_not_found"
handler500 = "apps.web.views.errors.server_error"
