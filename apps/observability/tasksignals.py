"""Celery signal receivers: task metrics, and the request ID carried into tasks.

A task published while a request (or another task) is in progress carries its request
ID in the message headers; the worker sets it for the task's run, so the task's log lines
name the request that caused them. Tasks run in-process (no broker: tests, `make run`)
keep the ID of the request running them.
"""

import logging
import time
from typing import Any

from celery import Task
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_ready,
)
from django.conf import settings

from apps.observability import metrics
from apps.observability.context import request_id, well_formed
from apps.observability.logs import ContextFilter, formatter_for

HEADER = "request_id"
OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, tuple[float, Any]] = {}  # task id -> (start, context token)


@before_task_publish.connect
def _carry_request_id(sender: str | None = None, headers: dict[str, Any] | None = None,
                      **kwargs: Any) -> None:  # fmt: skip
    if headers is not None:
        current = request_id.get()
        if current:
            headers[HEADER] = current
    metrics.CELERY_TASKS_PUBLISHED.labels(str(sender)).inc()


@task_prerun.connect
def _task_started(task_id: str, task: Task, **kwargs: Any) -> None:
    carried = getattr(task.request, HEADER, None)
    if isinstance(carried, str) and well_formed(carried):
        value: str | None = carried
    elif task.request.is_eager:
        value = request_id.get()
    else:
        value = None
    _started[task_id] = (time.perf_counter(), request_id.set(value))


@task_postrun.connect
def _task_finished(task_id: str, task: Task, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    if started is None:
        return
    began, token = started
    metrics.CELERY_TASK_DURATION.labels(task.name).observe(time.perf_counter() - began)
    # No state: the exception escaped the task (run in-process with errors propagating).
    outcome = OUTCOMES.get(state, "other") if state else "failed"
    metrics.CELERY_TASKS.labels(task.name, outcome).inc()
    request_id.reset(token)


@worker_ready.connect
@beat_init.connect
def _serve_metrics(**kwargs: Any) -> None:
    """Workers and beat are not web processes: with CELERY_METRICS_PORT set they answer
    Prometheus on that port themselves (task and lease counters of this process and, with
    PROMETHEUS_MULTIPROC_DIR, of its pool's children)."""
    if settings.CELERY_METRICS_PORT:
        metrics.serve_process_metrics(settings.CELERY_METRICS_PORT)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _format_worker_logs(logger: logging.Logger, **kwargs: Any) -> None:
    """A worker's log lines in the site's format (LOG_FORMAT), with the request ID."""
    for handler in logger.handlers:
        handler.addFilter(ContextFilter())
        handler.setFormatter(formatter_for(settings.LOG_FORMAT))
