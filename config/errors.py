"""Django's error handlers: under /api/ the API's JSON error shape, elsewhere the site's pages.

Django calls these for what no view answered: an exception no view handled (500), a
request it refused to read (400), and 403/404 raised outside DRF.
"""

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from apps.api import exceptions as api
from apps.web.views import errors as web

API_PREFIX = "/api/"


def _api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return api.bad_request(request, exception)
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return api.permission_denied(request, exception)
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return api.not_found(request, exception)
    return web.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return api.server_error(request)
    return web.server_error(request)
