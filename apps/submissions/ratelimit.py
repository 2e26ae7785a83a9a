"""Fixed-window rate limits kept in the cache, shared by the web form and the API.

With CACHE_URL=redis://... every web process counts in the same place; the increment is
atomic there, so concurrent requests cannot both take the last slot.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from apps.core.clientip import client_ip
from apps.core.limits import parse_rate


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        return cls(*parse_rate(text))


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry in {retry_after} s")
        self.retry_after = retry_after


def hit(scope: str, key: str, rate: Rate, *, now: float | None = None) -> None:
    """Count one action for `key`; raise RateLimited (counting nothing more) past the limit."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    retry_after = max(1, int(rate.seconds - now % rate.seconds))
    if rate.count == 0:
        raise RateLimited(retry_after)
    cache.add(cache_key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=rate.seconds + 1)
        count = 1
    if count > rate.count:
        raise RateLimited(retry_after)


def client_address(request: HttpRequest) -> str:
    """The client's address as apps.core.clientip sees it (X-Forwarded-For counts only
    through the trusted-proxy settings); "unknown" when there is none."""
    return client_ip(request) or "unknown"


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the address: enough to group and limit, without storing the address."""
    return hmac.new(
        settings.SECRET_KEY.encode(), client_address(request).encode(), hashlib.sha256
    ).hexdigest()


def check_submission(request: HttpRequest) -> str:
    """Count one submission against the per-address and per-user limits.

    Returns the client key. Raises RateLimited with the seconds until the window resets.
    """
    key = client_key(request)
    hit("submit-ip", key, Rate.parse(settings.SUBMISSION_RATE_PER_IP))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        hit("submit-user", str(user.pk), Rate.parse(settings.SUBMISSION_RATE_PER_USER))
    return key


def check_helper(request: HttpRequest) -> None:
    """Count one preview or duplicate check against the per-address limit."""
    hit("submit-helper", client_key(request), Rate.parse(settings.SUBMISSION_HELPER_RATE))
