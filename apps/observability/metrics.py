"""The site's Prometheus metrics, and the scrape-time view of its database state.

Counters and histograms are recorded where things happen (requests, queries, cache reads,
Celery tasks, link checks, upstream syncs). Under gunicorn each worker process records its
own; with PROMETHEUS_MULTIPROC_DIR set (a directory shared by the processes of one
container, emptied at its start) prometheus-client writes them to files there and any
process's /metrics adds them all up. Without it (`make run`, tests) the one process's
registry answers. There are no live gauges kept in processes, so nothing has to be told
when a worker exits: state gauges (outbox depth and age, the scheduler lease, broken
links) are read from the database when /metrics is scraped, so every replica reports the
same truth.

Labels are bounded: views by their URL name (never the raw path), methods from a fixed
set, task names from the registered tasks, results from fixed vocabularies.
"""

import os
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_COUNT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)

HTTP_REQUEST_DURATION = Histogram(
    "kfs_http_request_duration_seconds",
    "Time from the first middleware to the response, by view (URL name) and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_RESPONSES = Counter(
    "kfs_http_responses",
    "Responses by view (URL name), method and status code.",
    ["view", "method", "status"],
)
DB_QUERIES_PER_REQUEST = Histogram(
    "kfs_http_request_db_queries",
    "SQL queries run while answering one request, by view.",
    ["view"],
    buckets=QUERY_COUNT_BUCKETS,
)
DB_TIME_PER_REQUEST = Histogram(
    "kfs_http_request_db_seconds",
    "Time spent in SQL while answering one request, by view.",
    ["view"],
    buckets=LATENCY_BUCKETS,
)
CACHE_READS = Counter(
    "kfs_cache_reads", "Cache reads by result (hit or miss), per key read.", ["result"]
)
CELERY_TASKS = Counter(
    "kfs_celery_tasks",
    "Celery tasks that finished, by task and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
CELERY_TASKS_PUBLISHED = Counter(
    "kfs_celery_tasks_published", "Tasks handed to the broker, by task.", ["task"]
)
CELERY_TASK_DURATION = Histogram(
    "kfs_celery_task_duration_seconds",
    "Run time of a task, by task.",
    ["task"],
    buckets=TASK_BUCKETS,
)
LINKCHECK_RESULTS = Counter(
    "kfs_linkcheck_results",
    "Source links checked, by result (ok, failed, blocked: the guard refused the address).",
    ["result"],
)
UPSTREAM_SYNC_RESULTS = Counter(
    "kfs_upstream_sync_results",
    "Upstream issues synced, by result (updated, unchanged, failed, skipped, rate_limited).",
    ["result"],
)
LEASE_RENEWALS = Counter(
    "kfs_scheduler_lease_attempts",
    "Scheduler lease acquire-or-renew attempts by this process, by outcome "
    "(leader, standby, error).",
    ["outcome"],
)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str | None) -> str:
    return method if method in HTTP_METHODS else "other"


class DatabaseStateCollector:
    """Gauges read from the database at scrape time: the outbox, the scheduler lease and
    broken links. If the database cannot answer, kfs_database_up is 0 and the rest absent."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "kfs_database_up", "1 when the database answered this scrape's state queries."
        )
        try:
            families = list(self._families())
        except Exception:  # a scrape during a database outage still answers
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        from django.db.models import Count, Min

        from apps.catalog.models import Source
        from apps.core.beat import LEASE_NAME
        from apps.core.models import OutboxEntry, SchedulerLease

        now = timezone.now()
        pending = OutboxEntry.objects.pending().aggregate(
            oldest=Min("created_at"), count=Count("pk")
        )
        depth = GaugeMetricFamily("kfs_outbox_pending", "Outbox entries not yet sent.")
        depth.add_metric([], pending["count"])
        age = GaugeMetricFamily(
            "kfs_outbox_oldest_pending_age_seconds",
            "Age of the oldest unsent outbox entry (0 when none is pending).",
        )
        oldest = pending["oldest"]
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield depth
        yield age

        lease = SchedulerLease.objects.filter(name=LEASE_NAME).first()
        held = lease is not None and lease.expires_at > now
        holder = GaugeMetricFamily(
            "kfs_scheduler_lease_held", "1 while some beat process holds an unexpired lease."
        )
        holder.add_metric([], 1 if held else 0)
        info = GaugeMetricFamily(
            "kfs_scheduler_lease_holder",
            "The process holding the lease (value 1).",
            labels=["holder"],
        )
        if lease is not None and held:
            info.add_metric([lease.holder], 1)
        renewed = GaugeMetricFamily(
            "kfs_scheduler_lease_renewal_age_seconds",
            "Seconds since the lease was last taken or renewed (absent before the first).",
        )
        transitions = GaugeMetricFamily(
            "kfs_scheduler_lease_transitions",
            "How many times the lease changed hands (from the lease row).",
        )
        if lease is not None:
            renewed.add_metric([], (now - lease.renewed_at).total_seconds())
            transitions.add_metric([], lease.transitions)
        yield from (holder, info, renewed, transitions)

        broken = GaugeMetricFamily(
            "kfs_sources_broken", "Sources of published stories whose link is marked broken."
        )
        broken.add_metric([], Source.objects.public().filter(is_broken=True).count())
        yield broken


def _recording_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def serve_process_metrics(port: int) -> None:
    """Answer Prometheus on `port` from this process (a Celery worker or beat): what it
    recorded, without the database gauges, which the web's /metrics already reports."""
    start_http_server(port, registry=_recording_registry())


def exposition() -> bytes:
    """The text exposition of every metric, as /metrics answers it."""
    recorded = generate_latest(_recording_registry())
    return recorded + generate_latest(DatabaseStateCollector())  # type: ignore[arg-type]
