"""With the broker (and the cache) at a closed port, requests that enqueue work still answer
within a few seconds (well under one on a quiet machine): the change is committed, the work
waits in the outbox for the sweeper."""

import json
import socket
from collections.abc import Iterator

import pytest

from tests.linkcheck.conftest import manage, shared_database  # noqa: F401

# A bound on the publish timeouts, not a benchmark: before the fix these took 19-79 s. It
# leaves room for a loaded 2-core machine, where a 1 s bound failed a silent-Redis request.
LIMIT_SECONDS = 3.0

RUN = "from tests.submissions.dead_services_requests import main; main()"
STATE = """
import json
from apps.catalog.models import Story
from apps.core.models import OutboxEntry
print(json.dumps({
    "pending": sorted(OutboxEntry.objects.pending().values_list("task", flat=True)),
    "errors": list(OutboxEntry.objects.filter(attempts__gt=0).values_list("last_error", flat=True)),
    "published": Story.objects.public().count(),
}))
"""


def closed_port() -> int:
    """A local port where nothing listens (bound, then released): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local port that completes the TCP handshake and then never answers, like a hung
    Redis or one behind a dropped connection: only socket timeouts end the wait."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # never accepted: the kernel queues connections, nobody replies
        yield int(sock.getsockname()[1])


def last_json(output: str) -> dict[str, object]:
    return dict(json.loads(output.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("broker", "cache"),
    [("closed", None), ("closed", "closed"), ("silent", "silent")],
    ids=["broker-down", "broker-and-cache-down", "broker-and-cache-silent"],
)
def test_requests_that_enqueue_answer_quickly(
    shared_database: dict[str, str],  # noqa: F811
    silent_port: int,
    broker: str,
    cache: str | None,
) -> None:
    def port(kind: str) -> int:
        return silent_port if kind == "silent" else closed_port()

    env = {
        **shared_database,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port(broker)}/0",
        # Approvals then enqueue link checks and upstream syncs too (never sent: no broker).
        "LINKCHECK_ENABLED": "1",
        "UPSTREAM_SYNC_ENABLED": "1",
    }
    if cache:
        env["CACHE_URL"] = f"redis://127.0.0.1:{port(cache)}/1"
    result = manage("shell", "-c", RUN, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    timings = last_json(result.stdout)
    print("timings:", json.dumps({name: round(t["seconds"], 3) for name, t in timings.items()}))  # type: ignore[index]
    assert timings["web_submit"]["status"] == 302  # type: ignore[index]
    assert timings["web_approve"]["status"] == 302  # type: ignore[index]
    assert timings["web_submit_2"]["status"] == 302  # type: ignore[index]
    assert timings["api_approve"]["status"] == 200  # type: ignore[index]
    assert timings["home"]["status"] == 200  # type: ignore[index]
    slow = {name: t["seconds"] for name, t in timings.items() if t["seconds"] >= LIMIT_SECONDS}  # type: ignore[index]
    assert not slow, f"slower than {LIMIT_SECONDS} s: {slow}\n{result.stderr[-6000:]}"

    state = last_json(manage("shell", "-c", STATE, env=env).stdout)
    assert state["published"] == 4  # two rounds: a warm-up, then the measured one
    pending = state["pending"]
    assert isinstance(pending, list)
    # Four "received" and four "approved" emails, plus the approved stories' first checks.
    assert pending.count("apps.submissions.tasks.notify_submitter") == 8
    assert pending.count("apps.linkcheck.tasks.check_source") == 4
    # Tried at least once, and each try recorded why it failed.
    errors = state["errors"]
    assert isinstance(errors, list) and errors and all(errors), errors
