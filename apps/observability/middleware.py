"""Request IDs and request metrics, around everything else the site does.

First in MIDDLEWARE, so the ID is set before any other middleware can log and the timing
covers them all. The view label is the URL's name (`web:story`, `api:story-list`), or
the route when a URL has no name, or "unmatched" for a path no URL matched: never the
raw path, which a client could make unbounded.
"""

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from apps.observability import metrics
from apps.observability.context import (
    REQUEST_ID_HEADER,
    new_request_id,
    request_id,
    well_formed,
)


class QueryTally:
    """Counts and times the SQL statements run through it (a Django execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unmatched"


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if well_formed(incoming) else new_request_id()
        # Kept until the request ends (forget_request_id), not only until this returns:
        # Django logs 4xx and 5xx answers after the last middleware has finished.
        request_id.set(rid)
        tally = QueryTally()
        started = time.perf_counter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(tally))
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = view_label(request)
        method = metrics.method_label(request.method)
        metrics.HTTP_REQUEST_DURATION.labels(view, method).observe(elapsed)
        metrics.HTTP_RESPONSES.labels(view, method, str(response.status_code)).inc()
        metrics.DB_QUERIES_PER_REQUEST.labels(view).observe(tally.count)
        metrics.DB_TIME_PER_REQUEST.labels(view).observe(tally.seconds)
        response[REQUEST_ID_HEADER] = rid
        return response


def forget_request_id(**kwargs: Any) -> None:
    """On request_finished: the next work on this thread is not this request's."""
    request_id.set(None)
