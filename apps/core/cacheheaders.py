"""Who may keep a copy of a response: the one place that sets Cache-Control for the site.

The deployment puts a shared cache (Varnish, `deploy/varnish/default.vcl`) in front of
gunicorn. It stores only what this middleware marks `public`, for at most
`SHARED_CACHE_SECONDS`, and the VCL shortens that further so an approval, edit or
retraction shows everywhere within a second. A response is public only when all hold:

- it answers an anonymous GET or HEAD: no session cookie, no Authorization header;
- it comes from a public catalogue view: the site's pages, feeds and sitemap (`web`), or
  the read-only API (`api`, except submissions);
- its status is one whose answer is the same for every visitor (200, 301, 304, 404, 410;
  a 304 keeps the headers of the 200 it confirms);
- nothing personal was made while answering: no cookie set, no CSRF token rendered, no
  session written.

A public answer also carries `X-Catalogue-Generation`, the catalogue generation its
request began at (apps/core/sharedcache.py): the deployment's Varnish keeps such answers
until a write bans them, instead of for a second. When the generation moved while the
answer was made (a write committed meanwhile), or cannot be read, the answer is private:
it may show the catalogue from before that write.

Everything else (moderation, tracking pages, forms, sign-in, the admin, a signed-in user's
views, the API's writes, errors) is `private, no-store`, whatever the view said; a public
view may still choose stricter headers itself. Public
answers carry `Vary: Cookie, Authorization`: a signed-in visitor sees another page
(their name, the moderation tools), and a cache must not hand the anonymous copy to them.
Browsers get `max-age=0`, so they ask again every time and see changes at once.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

from apps.core.sharedcache import GENERATION_HEADER, GENERATION_MOVED, current_generation

# Catalogue content only: anonymous visitors all get the same bytes.
PUBLIC_NAMESPACES = frozenset({"web", "api"})
# API routes behind a namespace above that still answer per person.
PRIVATE_URL_NAMES = frozenset({"submission-list", "submission-detail"})
PUBLIC_STATUSES = frozenset({200, 301, 304, 404, 410})
SHARED_CACHE_SECONDS = 1
# Request attribute: the catalogue generation read before the view ran.
BEGAN_AT = "_catalogue_generation_began_at"


def carries_identity(request: HttpRequest) -> bool:
    """True when the request says who is asking: a session cookie or an Authorization header."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META


def made_personal(request: HttpRequest, response: HttpResponseBase) -> bool:
    """True when answering wrote something for this visitor alone."""
    session = getattr(request, "session", None)
    return bool(
        response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or (session is not None and (session.modified or not session.is_empty()))
    )


def is_public_view(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    namespace = match.namespaces[0] if match.namespaces else ""
    return namespace in PUBLIC_NAMESPACES and match.url_name not in PRIVATE_URL_NAMES


def shared_cacheable(request: HttpRequest, response: HttpResponseBase) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and response.status_code in PUBLIC_STATUSES
        and is_public_view(request)
        and not carries_identity(request)
        and not made_personal(request, response)
    )


def mark_public(response: HttpResponseBase) -> None:
    patch_cache_control(response, public=True, max_age=0, s_maxage=SHARED_CACHE_SECONDS)
    patch_vary_headers(response, ("Cookie", "Authorization"))


def mark_private(response: HttpResponseBase) -> None:
    """No cache anywhere may store it, whatever the view said."""
    del response["Cache-Control"]
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)


class CacheHeadersMiddleware:
    """Marks each response public (briefly, for shared caches) or private.

    Placed before the session and CSRF middleware, so it sees the cookies they set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        began_at = getattr(request, BEGAN_AT, None)
        if not shared_cacheable(request, response):
            mark_private(response)
        elif not response.has_header("Cache-Control"):  # else the view chose for itself
            if began_at is None or current_generation() != began_at:
                # It may predate a write that committed meanwhile. Varnish keeps no marker
                # for such an answer: the next readers wait for one fresh render.
                mark_private(response)
                response[GENERATION_HEADER] = GENERATION_MOVED
            else:
                mark_public(response)
                response[GENERATION_HEADER] = str(began_at)
        return response

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        """Before a public view reads the catalogue: the generation it will show."""
        if (
            request.method in ("GET", "HEAD")
            and not carries_identity(request)
            and is_public_view(request)
        ):
            setattr(request, BEGAN_AT, current_generation())
