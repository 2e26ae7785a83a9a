"""Django's Redis cache, bounded and failing open when Redis cannot be reached.

Decision: fail open. The cache holds rate-limit counters (submissions, API throttles) and
nothing that decides who may see what, so an unreachable Redis reads as an empty cache:
requests are served without those limits (and a warning is logged) rather than refused
with a 500. Submissions still need a moderator before anything is published, and the
honeypot and time checks still flag automated ones. Socket timeouts bound each attempt;
after a failure the process leaves Redis alone for PAUSE_AFTER_FAILURE_SECONDS, so a
silent host costs one timeout, not one per cache call.
"""

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
PAUSE_AFTER_FAILURE_SECONDS = 5.0
_paused_until = 0.0  # shared by every thread and cache alias of the process


def _missing_key(key: Any, *args: Any, **kwargs: Any) -> int:
    raise ValueError(f"Key '{key}' not found (the cache is unreachable)")


def _fail_open(method: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, answering `fallback(*args)` instead while Redis is unreachable."""

    @functools.wraps(method)
    def call(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        global _paused_until
        if time.monotonic() < _paused_until:
            return fallback(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as exc:
            _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
            logger.warning("cache: Redis unreachable (%s); serving without it", exc)
            return fallback(*args, **kwargs)

    return call


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's client, but one redis.Redis per connection pool, made on first use: Django
    makes one for every cache call, about 80 µs with redis-py 8 (as long as the call's own
    round trip). A redis.Redis is safe to share between threads; the pool hands each
    command a connection of its own and starts a new one after a fork."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            make = self._client  # type: ignore[attr-defined]
            client = self._clients[id(pool)] = make(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    """Answers as an empty cache that keeps nothing while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    add = _fail_open(RedisCache.add, lambda *args, **kwargs: False)
    get = _fail_open(RedisCache.get, lambda key, default=None, version=None: default)
    set = _fail_open(RedisCache.set, lambda *args, **kwargs: None)
    touch = _fail_open(RedisCache.touch, lambda *args, **kwargs: False)
    delete = _fail_open(RedisCache.delete, lambda *args, **kwargs: False)
    get_many = _fail_open(RedisCache.get_many, lambda *args, **kwargs: {})
    has_key = _fail_open(RedisCache.has_key, lambda *args, **kwargs: False)
    # A missing key's answer: callers of incr() already handle it.
    incr = _fail_open(RedisCache.incr, _missing_key)
    set_many = _fail_open(RedisCache.set_many, lambda data, *args, **kwargs: list(data))
    delete_many = _fail_open(RedisCache.delete_many, lambda *args, **kwargs: None)
    clear = _fail_open(RedisCache.clear, lambda *args, **kwargs: False)
