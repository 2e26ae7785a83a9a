"""Log formatting: every line names the request (or task) it was written for.

LOG_FORMAT=text (the default, for people reading a terminal) or json (one object a
line, for a log pipeline). Our own formatter rather than a package: it is twenty lines,
and the fields are the ones this site's operators search by.
"""

import datetime
import json
import logging
from typing import Any

from apps.observability.context import request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class ContextFilter(logging.Filter):
    """Adds `request_id` (or "-") and, inside a Celery task, `task_name` and `task_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        task = _current_task()
        record.task_name = task[0] if task else ""
        record.task_id = task[1] if task else ""
        return True


def _current_task() -> tuple[str, str] | None:
    from celery import current_task

    if not current_task or current_task.request.id is None:  # a proxy: falsy outside a task
        return None
    return str(current_task.name), str(current_task.request.id)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message,
    request_id, the task's name and id when in one, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        if task_id := getattr(record, "task_id", ""):
            entry["task_name"] = getattr(record, "task_name", "")
            entry["task_id"] = task_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
