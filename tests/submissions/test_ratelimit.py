"""Fixed-window rate limits: the arithmetic, the per-address and per-user limits of
submissions, and the atomic counting that a shared Redis cache gives."""

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django.test import RequestFactory

from apps.submissions.ratelimit import (
    Rate,
    RateLimited,
    check_helper,
    check_submission,
    client_key,
    hit,
)

REDIS_URL = "redis://127.0.0.1:6379/11"
NOW = 1_000_000.0  # 1_000_000 % 60 == 40: a minute window ends 20 s later.


def hits_allowed(scope: str, key: str, rate: Rate, attempts: int, now: float = NOW) -> int:
    allowed = 0
    for _ in range(attempts):
        try:
            hit(scope, key, rate, now=now)
        except RateLimited:
            continue
        allowed += 1
    return allowed


# --- the window arithmetic (local memory cache) -------------------------------------------


def test_rate_parse() -> None:
    assert Rate.parse("5/hour") == Rate(5, 3600)
    assert Rate.parse("120/min") == Rate(120, 60)
    assert Rate.parse("3/s") == Rate(3, 1)
    assert Rate.parse("10/day") == Rate(10, 86400)
    with pytest.raises((KeyError, ValueError)):
        Rate.parse("5/fortnight")
    with pytest.raises(ValueError):
        Rate.parse("many/hour")


def test_the_limit_is_the_count_and_retry_after_is_the_rest_of_the_window() -> None:
    rate = Rate(3, 60)
    for _ in range(3):
        hit("t", "a", rate, now=NOW)
    with pytest.raises(RateLimited) as info:
        hit("t", "a", rate, now=NOW)
    assert info.value.retry_after == 20
    # Later in the same window the wait is shorter, never zero.
    with pytest.raises(RateLimited) as info:
        hit("t", "a", rate, now=NOW + 15)
    assert info.value.retry_after == 5
    with pytest.raises(RateLimited) as info:
        hit("t", "a", rate, now=NOW + 19.7)
    assert info.value.retry_after == 1


def test_a_new_window_starts_afresh() -> None:
    rate = Rate(2, 60)
    assert hits_allowed("t", "a", rate, 5, now=NOW) == 2
    # NOW + 20 is the first second of the next minute.
    assert hits_allowed("t", "a", rate, 5, now=NOW + 20) == 2
    assert hits_allowed("t", "a", rate, 5, now=NOW + 80) == 2


def test_keys_and_scopes_are_independent() -> None:
    rate = Rate(2, 3600)
    assert hits_allowed("t", "a", rate, 3) == 2
    assert hits_allowed("t", "b", rate, 3) == 2
    assert hits_allowed("other", "a", rate, 3) == 2
    with pytest.raises(RateLimited):
        hit("t", "a", rate, now=NOW)


def test_a_zero_rate_refuses_everything() -> None:
    with pytest.raises(RateLimited) as info:
        hit("t", "a", Rate(0, 60), now=NOW)
    assert info.value.retry_after == 20


# --- submissions: per address and per user ---------------------------------------------------


def request(address: str = "203.0.113.7", user: Any = None, **meta: str) -> HttpRequest:
    made = RequestFactory().post("/submit/", REMOTE_ADDR=address, **meta)
    made.user = user if user is not None else AnonymousUser()
    return made


@pytest.fixture
def limits(settings: Any) -> None:
    settings.SUBMISSION_RATE_PER_IP = "2/hour"
    settings.SUBMISSION_RATE_PER_USER = "3/hour"
    settings.SUBMISSION_HELPER_RATE = "4/min"


def test_client_key_is_a_keyed_hash_of_the_address(settings: Any) -> None:
    key = client_key(request("203.0.113.7"))
    assert key == client_key(request("203.0.113.7"))
    assert key != client_key(request("203.0.113.8"))
    assert "203.0.113.7" not in key and len(key) == 64
    # Client-supplied forwarding headers are not trusted.
    assert client_key(request("203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")) == key
    settings.SECRET_KEY = "another secret key that is long enough to be used here"
    assert client_key(request("203.0.113.7")) != key


def test_per_address_limit(limits: None) -> None:
    assert check_submission(request()) == client_key(request())
    check_submission(request())
    with pytest.raises(RateLimited) as info:
        check_submission(request())
    assert 1 <= info.value.retry_after <= 3600
    # A forged X-Forwarded-For does not buy a fresh allowance.
    with pytest.raises(RateLimited):
        check_submission(request(HTTP_X_FORWARDED_FOR="198.51.100.9"))
    check_submission(request("203.0.113.99"))


@pytest.mark.django_db
def test_per_user_limit_follows_the_account_across_addresses(limits: None) -> None:
    user = User.objects.create_user("limited")
    other = User.objects.create_user("other")
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        check_submission(request(address, user=user))
    with pytest.raises(RateLimited):
        check_submission(request("203.0.113.4", user=user))
    # The address itself is still fine for someone else.
    check_submission(request("203.0.113.4", user=other))


def test_preview_and_duplicate_checks_do_not_use_up_submissions(limits: None) -> None:
    for _ in range(4):
        check_helper(request())
    with pytest.raises(RateLimited):
        check_helper(request())
    check_submission(request())
    check_submission(request())
    with pytest.raises(RateLimited):
        check_submission(request())


# --- the shared Redis cache ------------------------------------------------------------------


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[str]:
    """The default cache on Redis; yields a scope unique to this test, removed afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {REDIS_URL} for the shared rate-limit cache: {exc}")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    scope = f"test-{uuid.uuid4().hex}"
    yield scope
    for key in client.scan_iter(match=f"*ratelimit:{scope}:*"):
        client.delete(key)
    client.close()


def test_redis_counts_in_one_place(redis_cache: str) -> None:
    from django.core.cache import caches

    assert type(caches["default"]).__name__ == "RedisCache"
    rate = Rate(3, 60)
    assert hits_allowed(redis_cache, "a", rate, 5) == 3
    assert hits_allowed(redis_cache, "b", rate, 5) == 3
    assert hits_allowed(redis_cache, "a", rate, 5, now=NOW + 20) == 3


def test_redis_counters_expire_with_their_window(redis_cache: str) -> None:
    import redis

    hit(redis_cache, "a", Rate(3, 60), now=NOW)
    client = redis.Redis.from_url(REDIS_URL)
    (key,) = list(client.scan_iter(match=f"*ratelimit:{redis_cache}:a:*"))
    assert 0 < client.ttl(key) <= 61
    client.close()


def test_threads_hammering_one_key_never_exceed_the_limit(redis_cache: str) -> None:
    """Every thread has its own Redis connection; the increment is atomic there."""
    from django.core.cache import caches

    limit, threads, attempts = 25, 8, 20
    rate = Rate(limit, 3600)
    barrier = threading.Barrier(threads)
    allowed: list[int] = []
    backends: set[str] = set()
    lock = threading.Lock()

    def worker() -> None:
        backends.add(type(caches["default"]).__name__)
        barrier.wait(timeout=10)
        count = hits_allowed(redis_cache, "shared", rate, attempts)
        with lock:
            allowed.append(count)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert backends == {"RedisCache"}
    assert len(allowed) == threads
    assert sum(allowed) == limit
    with pytest.raises(RateLimited):
        hit(redis_cache, "shared", rate, now=NOW)
