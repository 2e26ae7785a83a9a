"""Detail pages answer 301 for a slug that moved (see apps.catalog.redirects)."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse

from apps.catalog.redirects import moved_to


class MovedSlugMixin:
    """On a 404, look the slug up in the redirects and send the reader to its new page."""

    moved_kind: str
    moved_url_name: str

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().get(request, *args, **kwargs)  # type: ignore[misc]
        except Http404:
            new = moved_to(self.moved_kind, kwargs.get("slug", ""))
            if new is None:
                raise
            url = reverse(self.moved_url_name, kwargs={"slug": new})
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
