"""Cache backends that count hits and misses (kfs_cache_reads_total).

The same backends as before, with every key read counted: the fail-open Redis cache
(config/cache.py) in deployments and the local-memory cache by default. A read while Redis
is unreachable answers as a miss, and counts as one.
"""

from typing import Any

from django.core.cache.backends.locmem import LocMemCache

from apps.observability.metrics import CACHE_READS
from config.cache import FailOpenRedisCache

_MISSING = object()


class MeteredCacheMixin:
    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        value = super().get(key, _MISSING, version=version)  # type: ignore[misc]
        if value is _MISSING:
            CACHE_READS.labels("miss").inc()
            return default
        CACHE_READS.labels("hit").inc()
        return value


class MeteredGetManyMixin:
    """For backends with their own get_many (Django's base one calls get() per key)."""

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        keys = list(keys)
        found: dict[Any, Any] = super().get_many(keys, version=version)  # type: ignore[misc]
        if len(found):
            CACHE_READS.labels("hit").inc(len(found))
        if len(keys) - len(found):
            CACHE_READS.labels("miss").inc(len(keys) - len(found))
        return found


class MeteredLocMemCache(MeteredCacheMixin, LocMemCache):
    pass


class MeteredFailOpenRedisCache(MeteredCacheMixin, MeteredGetManyMixin, FailOpenRedisCache):
    pass
