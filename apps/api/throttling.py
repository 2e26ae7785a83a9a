"""DRF's throttles, counting clients by apps.core.clientip instead of X-Forwarded-For.

DRF's own get_ident believes the whole X-Forwarded-For header unless NUM_PROXIES is set,
so a client that changes the header gets a fresh allowance on every request.
"""

from typing import Any

from rest_framework import throttling

from apps.core.clientip import client_ip


class ClientAddressMixin:
    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
