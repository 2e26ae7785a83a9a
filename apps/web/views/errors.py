from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from apps.web.views.paging import NoSuchPage


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Only our own messages are shown: others may name internals (models, patterns).
    reason = str(exception) if isinstance(exception, NoSuchPage) else ""
    return render(request, "404.html", {"reason": reason}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def robots_txt(request: HttpRequest) -> HttpResponse:
    private = ["/admin/", "/accounts/", "/submit/", "/track/", "/moderation/"]
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in private),
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: the hashed static name exists only after collectstatic.
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
