"""/metrics: for the site's own monitoring, and a 404 to everyone else.

Answers only when METRICS_ENABLED is on and the client's address (apps.core.clientip,
so trusted proxies are honoured) is inside METRICS_ALLOWED_NETWORKS; otherwise it is the
same 404 as any unknown address. Never stored by any cache.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from apps.core.clientip import client_ip
from apps.observability.state import exposition

# generate_latest() writes the classic text format, which every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


def may_scrape(request: HttpRequest) -> bool:
    if not settings.METRICS_ENABLED:
        return False
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        raise Http404("No such page.")
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
