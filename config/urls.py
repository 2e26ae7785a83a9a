from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("", include("apps.web.urls")),
]

handler404 = "apps.web.views.errors.page_not_found"
handler500 = "apps.web.views.errors.server_error"
