"""The Redis cache fails open within a short timeout: with Redis down or silent, rate
limits and API throttles let requests through instead of answering 500 or hanging."""

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from apps.submissions import ratelimit
from config import cache as cache_backend

LIVE_REDIS = "redis://127.0.0.1:6379/14"


def redis_cache(location: str) -> dict[str, Any]:
    from django.conf import settings

    return {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": location,
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS,
                "socket_timeout": settings.REDIS_TIMEOUT_SECONDS,
            },
        }
    }


@pytest.fixture(autouse=True)
def _no_pause() -> Iterator[None]:
    cache_backend._paused_until = 0.0  # each test starts as if Redis never failed
    yield
    cache_backend._paused_until = 0.0


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)  # handshakes complete, nothing ever answers
        yield int(sock.getsockname()[1])


def test_redis_down_reads_as_an_empty_cache(settings: Any, closed_port: int, caplog: Any) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/1")
    assert cache.get("key", "fallback") == "fallback"
    assert cache.add("key", 1) is False
    cache.set("key", 1)
    assert cache.get_many(["key"]) == {}
    with pytest.raises(ValueError):
        cache.incr("key")
    assert "Redis unreachable" in caplog.text


def test_rate_limits_fail_open_when_redis_is_down(settings: Any, closed_port: int) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/1")
    for _ in range(5):
        ratelimit.hit("test", "someone", ratelimit.Rate(count=1, seconds=60))


@pytest.mark.django_db
def test_throttled_api_answers_when_redis_is_down(settings: Any, closed_port: int) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/1")
    response = Client().get("/api/v1/stories/")
    assert response.status_code == 200


def test_a_silent_redis_costs_one_short_timeout(settings: Any, silent_port: int) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{silent_port}/1")
    started = time.monotonic()
    assert cache.get("key") is None
    first = time.monotonic() - started
    assert settings.REDIS_TIMEOUT_SECONDS <= first < settings.REDIS_TIMEOUT_SECONDS + 0.5
    started = time.monotonic()
    for _ in range(10):  # the pause after a failure: no more waiting on Redis
        ratelimit.hit("test", "someone", ratelimit.Rate(count=1, seconds=60))
    assert time.monotonic() - started < 0.1


def test_one_redis_client_serves_every_call(settings: Any, closed_port: int) -> None:
    """Django would build a redis.Redis per call; its connection pool was shared already."""
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port}/0")
    backend = cache._cache  # type: ignore[attr-defined]
    client = backend.get_client("a")
    assert backend.get_client("b", write=True) is client
    assert client.connection_pool is backend._get_connection_pool(False)


def test_a_live_redis_is_a_normal_cache_with_working_limits(settings: Any) -> None:
    try:
        import redis

        redis.Redis.from_url(LIVE_REDIS, socket_connect_timeout=1).flushdb()
    except Exception as exc:  # any failure: no Redis to test against
        pytest.skip(f"Redis is not reachable at {LIVE_REDIS}: {exc}")
    settings.CACHES = redis_cache(LIVE_REDIS)
    assert cache.add("key", 1) is True
    assert cache.incr("key") == 2
    assert cache.get("key") == 2
    ratelimit.hit("test", "someone", ratelimit.Rate(count=1, seconds=60))
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit("test", "someone", ratelimit.Rate(count=1, seconds=60))
