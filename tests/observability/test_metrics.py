"""What /metrics exposes after real requests, tasks and state, with bounded labels."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from apps.core.beat import LEASE_NAME
from apps.core.lease import lease_acquire_or_renew
from apps.core.models import OutboxEntry
from tests.factories import SourceFactory, StoryFactory
from tests.observability.conftest import LOCAL, sample, scrape

pytestmark = pytest.mark.django_db


def test_requests_are_measured_by_view_never_by_path(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    story = StoryFactory()
    before = sample(scrape(client), "kfs_http_responses_total", view="web:story-detail") or 0
    assert client.get(f"/stories/{story.slug}/", **LOCAL).status_code == 200
    assert client.get("/stories/no-such-story-xyz/", **LOCAL).status_code == 404
    assert client.get("/no/such/path-qwerty", **LOCAL).status_code == 404
    families = scrape(client)
    ok = sample(
        families, "kfs_http_responses_total", view="web:story-detail", method="GET", status="200"
    )
    missing = sample(families, "kfs_http_responses_total", view="web:story-detail", status="404")
    assert ok is not None and missing is not None and ok + missing >= before + 2
    assert sample(families, "kfs_http_responses_total", view="unmatched", status="404")
    assert sample(
        families, "kfs_http_request_duration_seconds_count", view="web:story-detail", method="GET"
    )
    # The story page runs queries; their count and time are recorded per request.
    queries = sample(families, "kfs_http_request_db_queries_sum", view="web:story-detail")
    assert queries is not None and queries > 0
    assert sample(families, "kfs_http_request_db_seconds_count", view="web:story-detail")
    text = client.get("/metrics", **LOCAL).content.decode()
    assert story.slug not in text and "qwerty" not in text and "no-such-story" not in text


def test_unknown_methods_share_one_label(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    client.generic("BREW", "/healthz", **LOCAL)
    families = scrape(client)
    assert sample(families, "kfs_http_responses_total", view="healthz", method="other")
    methods = {
        labels["method"]
        for name, labels, _ in families["kfs_http_responses"]
        if name == "kfs_http_responses_total"
    }
    assert "BREW" not in methods


def test_cache_reads_count_hits_and_misses(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    before = scrape(client)
    hits = sample(before, "kfs_cache_reads_total", result="hit") or 0
    misses = sample(before, "kfs_cache_reads_total", result="miss") or 0
    cache.set("observability-test", 1)
    assert cache.get("observability-test") == 1
    assert cache.get("observability-absent", "fallback") == "fallback"
    assert cache.get_many(["observability-test", "observability-absent"]) == {
        "observability-test": 1
    }
    after = scrape(client)
    assert sample(after, "kfs_cache_reads_total", result="hit") == hits + 2
    assert sample(after, "kfs_cache_reads_total", result="miss") == misses + 2


def test_outbox_depth_and_age(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    families = scrape(client)
    assert sample(families, "kfs_outbox_pending") == 0
    assert sample(families, "kfs_outbox_oldest_pending_age_seconds") == 0
    entry = OutboxEntry.objects.create(task="apps.core.tasks.sweep_outbox", args=[])
    OutboxEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    OutboxEntry.objects.create(task="apps.core.tasks.sweep_outbox", args=[])
    families = scrape(client)
    assert sample(families, "kfs_outbox_pending") == 2
    age = sample(families, "kfs_outbox_oldest_pending_age_seconds")
    assert age is not None and 299 < age < 400


def test_scheduler_lease_holder(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    families = scrape(client)
    assert sample(families, "kfs_scheduler_lease_held") == 0
    assert (
        "kfs_scheduler_lease_holder" not in families or not families["kfs_scheduler_lease_holder"]
    )
    duration = datetime.timedelta(seconds=30)
    assert lease_acquire_or_renew(name=LEASE_NAME, holder="beat-a", duration=duration)
    assert not lease_acquire_or_renew(name=LEASE_NAME, holder="beat-b", duration=duration)
    families = scrape(client)
    assert sample(families, "kfs_scheduler_lease_held") == 1
    assert sample(families, "kfs_scheduler_lease_holder", holder="beat-a") == 1
    assert sample(families, "kfs_scheduler_lease_transitions") == 1
    age = sample(families, "kfs_scheduler_lease_renewal_age_seconds")
    assert age is not None and 0 <= age < 30


# The scheduler closes stale connections first, which in a test transaction would be ours.
@pytest.mark.django_db(transaction=True)
def test_lease_attempts_by_the_scheduler_are_counted(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    from apps.core.beat import LeaderScheduler

    before = sample(scrape(client), "kfs_scheduler_lease_attempts_total", outcome="leader") or 0
    scheduler = LeaderScheduler.__new__(LeaderScheduler)  # only the lease part, no beat state
    scheduler.holder = "beat-test"
    scheduler.lease_duration = datetime.timedelta(seconds=30)
    scheduler.renew_every = 10.0
    scheduler.is_leader = False
    scheduler._renewed_at = float("-inf")
    scheduler._refresh_lease()
    assert scheduler.is_leader
    after = sample(scrape(client), "kfs_scheduler_lease_attempts_total", outcome="leader")
    assert after == before + 1


def test_broken_links_of_published_stories_only(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    SourceFactory(story=StoryFactory(), is_broken=True)
    SourceFactory(story=StoryFactory(status="draft"), is_broken=True)
    assert sample(scrape(client), "kfs_sources_broken") == 1


def test_tasks_are_counted_with_duration_and_failures(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    from celery import shared_task

    from apps.core.tasks import sweep_outbox

    @shared_task(name="tests.observability.explode")
    def explode() -> None:
        raise RuntimeError("boom")

    name = "apps.core.tasks.sweep_outbox"
    before = scrape(client)
    done = sample(before, "kfs_celery_tasks_total", task=name, outcome="succeeded") or 0
    failed = sample(before, "kfs_celery_tasks_total", task=explode.name, outcome="failed") or 0
    # apply(), as the outbox runs tasks in-process: an eager delay() would open a broker
    # connection pool that later tests' broker settings do not replace.
    sweep_outbox.apply()
    with pytest.raises(RuntimeError):
        explode.apply()
    after = scrape(client)
    assert sample(after, "kfs_celery_tasks_total", task=name, outcome="succeeded") == done + 1
    assert (
        sample(after, "kfs_celery_tasks_total", task=explode.name, outcome="failed") == failed + 1
    )
    assert sample(after, "kfs_celery_task_duration_seconds_count", task=name)


def test_link_check_results(client: Client, metrics_on, local_site: str) -> None:  # type: ignore[no-untyped-def]
    from apps.linkcheck.health import check_source

    source = SourceFactory(url=f"{local_site}/post")
    before = scrape(client)
    ok = sample(before, "kfs_linkcheck_results_total", result="ok") or 0
    blocked = sample(before, "kfs_linkcheck_results_total", result="blocked") or 0
    metrics_on.LINKCHECK_ALLOW_LOOPBACK = True
    check_source(source.pk)
    metrics_on.LINKCHECK_ALLOW_LOOPBACK = False  # now the guard refuses 127.0.0.1
    check_source(source.pk)
    after = scrape(client)
    assert sample(after, "kfs_linkcheck_results_total", result="ok") == ok + 1
    assert sample(after, "kfs_linkcheck_results_total", result="blocked") == blocked + 1


def test_upstream_sync_results(client: Client, metrics_on) -> None:  # type: ignore[no-untyped-def]
    from apps.linkcheck.upstream import sync_issue
    from tests.linkcheck.test_github import Reply, issue_payload, serve_fake_github
    from tests.linkcheck.test_upstream import issue_path, make_issue

    for github in serve_fake_github(metrics_on):
        issue = make_issue(7)
        github.route(issue_path(7), Reply(body=issue_payload(7, title="DNS"), etag='"e7"'))
        before = scrape(client)
        updated = sample(before, "kfs_upstream_sync_results_total", result="updated") or 0
        unchanged = sample(before, "kfs_upstream_sync_results_total", result="unchanged") or 0
        sync_issue(issue.pk)
        sync_issue(issue.pk)  # the fake answers the ETag with a 304
        after = scrape(client)
        assert sample(after, "kfs_upstream_sync_results_total", result="updated") == updated + 1
        assert sample(after, "kfs_upstream_sync_results_total", result="unchanged") == unchanged + 1


def test_the_redis_cache_counts_hits_misses_and_unreachable_reads(
    client: Client,
    metrics_on,  # type: ignore[no-untyped-def]
) -> None:
    import uuid

    from django.core.cache import caches

    from config import cache as fail_open

    def redis_cache(location: str) -> dict[str, object]:
        return {
            "default": {
                "BACKEND": "apps.observability.cache.MeteredFailOpenRedisCache",
                "LOCATION": location,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }

    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/1", socket_connect_timeout=1).ping()
    except Exception as exc:  # any failure: no Redis to test against
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379: {exc}")
    key = f"observability-{uuid.uuid4().hex}"
    before = scrape(client)
    hits = sample(before, "kfs_cache_reads_total", result="hit") or 0
    misses = sample(before, "kfs_cache_reads_total", result="miss") or 0
    metrics_on.CACHES = redis_cache("redis://127.0.0.1:6379/1")
    live = caches["default"]
    live.set(key, "v", timeout=30)
    assert live.get_many([key, key + "-absent"]) == {key: "v"}
    live.delete(key)
    metrics_on.CACHES = redis_cache("redis://127.0.0.1:1/1")  # nothing listens there
    fail_open._paused_until = 0.0
    try:
        assert caches["default"].get(key, "default") == "default"
    finally:
        fail_open._paused_until = 0.0
    metrics_on.CACHES = {"default": {"BACKEND": "apps.observability.cache.MeteredLocMemCache"}}
    after = scrape(client)
    assert sample(after, "kfs_cache_reads_total", result="hit") == hits + 1
    assert sample(after, "kfs_cache_reads_total", result="miss") == misses + 2
