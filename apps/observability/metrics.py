"""The site's Prometheus metrics (the database state read at scrape time: state.py).

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

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
    start_http_server,
)

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

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str | None) -> str:
    return method if method in HTTP_METHODS else "other"


def recording_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def serve_process_metrics(port: int) -> None:
    """Answer Prometheus on `port` from this process (a Celery worker or beat): what it
    recorded, without the database gauges, which the web's /metrics already reports."""
    start_http_server(port, registry=recording_registry())
