"""Request IDs: taken or made, returned, in every log line of the request and its tasks."""

import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from apps.observability.context import request_id
from apps.observability.logs import ContextFilter, JsonFormatter
from tests.observability.conftest import LOCAL

pytestmark = pytest.mark.django_db


class Lines(logging.Handler):
    """Collects formatted records, as the site's console handler would write them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(ContextFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    handler = Lines()
    loggers = [logging.getLogger(), logging.getLogger("django")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_new_id_is_made_and_returned(client: Client) -> None:
    first = client.get("/healthz", **LOCAL)["X-Request-ID"]
    second = client.get("/healthz", **LOCAL)["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert request_id.get() is None  # nothing leaks past the request


def test_a_well_formed_incoming_id_is_kept(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-4f2a:91.7", **LOCAL)
    assert response["X-Request-ID"] == "lb-4f2a:91.7"


@pytest.mark.parametrize(
    "incoming",
    ["", "has space", "x" * 129, '"quoted"', "line\\nbreak", "-leading-dash", "é"],
)
def test_a_malformed_incoming_id_is_replaced(client: Client, incoming: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming, **LOCAL)
    assert response.status_code == 200
    assert response["X-Request-ID"] != incoming and len(response["X-Request-ID"]) == 32


def test_every_log_line_of_the_request_names_it(client: Client, log_lines: Lines) -> None:
    response = client.get("/no/such/page", HTTP_X_REQUEST_ID="trace-404", **LOCAL)
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-404"
    not_found = [line for line in log_lines.lines if line["logger"] == "django.request"]
    assert not_found and all(line["request_id"] == "trace-404" for line in not_found)
    assert not_found[0]["level"] == "WARNING" and "Not Found" in str(not_found[0]["message"])


def test_a_task_run_in_process_logs_the_request_id(log_lines: Lines, settings) -> None:  # type: ignore[no-untyped-def]
    from apps.linkcheck.tasks import check_source

    settings.LINKCHECK_ENABLED = False  # the task then logs that it skipped
    token = request_id.set("req-eager-1")
    try:
        check_source.apply(args=[424242])
    finally:
        request_id.reset(token)
    skipped = [line for line in log_lines.lines if "424242" in str(line["message"])]
    assert skipped, log_lines.lines
    assert skipped[0]["request_id"] == "req-eager-1"
    assert skipped[0]["task_name"] == "apps.linkcheck.tasks.check_source"
    assert skipped[0]["task_id"]


@pytest.mark.django_db(transaction=True)
def test_work_enqueued_by_a_request_logs_its_id(
    client: Client,
    log_lines: Lines,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """A request whose view enqueues a task: the task, run in-process once the write
    commits (at once, outside a transaction), logs as the request."""
    from django.urls import clear_url_caches

    settings.ROOT_URLCONF = "tests.observability.urls"
    clear_url_caches()
    settings.LINKCHECK_ENABLED = False
    response = client.get("/enqueue/31337", HTTP_X_REQUEST_ID="req-view-1", **LOCAL)
    assert response.status_code == 200
    task_lines = [line for line in log_lines.lines if "31337" in str(line["message"])]
    assert task_lines, log_lines.lines
    assert {line["request_id"] for line in task_lines} == {"req-view-1"}
    assert {line["task_name"] for line in task_lines} == {"apps.linkcheck.tasks.check_source"}


def test_text_format_names_the_request() -> None:
    from apps.observability.logs import formatter_for

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id.set("abc123")
    try:
        ContextFilter().filter(record)
    finally:
        request_id.reset(token)
    assert "[abc123] hello" in formatter_for("text").format(record)


def test_json_lines_carry_exceptions() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] is None and "ValueError: bad" in line["exception"]
