"""How bans reach the shared cache (apps/core/sharedcache.py): never on the request path, so a
moderator's decision does not wait on a Varnish that does not answer; delivered when it does;
and handed to the worker, which retries, when neither attempt got through."""

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apps.catalog.models import Story
from apps.core import sharedcache, tasks
from apps.core.sharedcache import GENERATION_HEADER, current_generation
from tests.submissions.conftest import make_payload
from tests.submissions.webforms import submit_ok

# The slow case would hold a request this long per attempt if a ban were sent on its path.
SLOW_BAN_SECONDS = 10.0


class Banned(http.server.BaseHTTPRequestHandler):
    """A shared cache that takes every BAN and notes the generation it was given."""

    received: list[str]

    def do_BAN(self) -> None:
        self.received.append(self.headers.get(GENERATION_HEADER, ""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def reachable(settings: Any) -> Iterator[list[str]]:
    """A shared cache that answers; yields the generations it was asked to ban at."""
    received: list[str] = []
    handler = type("Handler", (Banned,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SHARED_CACHE_BAN_URLS = [f"http://127.0.0.1:{server.server_address[1]}/"]
    try:
        yield received
    finally:
        sharedcache.wait_for_bans()
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["nothing-listening", "never-answers"])
def unreachable(request: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local port where a ban cannot be delivered: refused at once, or taken by a socket
    that never answers (a Varnish hung or behind a dropped route: each attempt waits for its
    timeout, raised here so that a ban on the request path could not go unnoticed)."""
    monkeypatch.setattr(sharedcache, "BAN_TIMEOUT_SECONDS", SLOW_BAN_SECONDS)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # held, so nothing else can listen there meanwhile
        if request.param == "never-answers":
            sock.listen(8)  # the kernel completes the connection; nobody reads or answers
        settings.SHARED_CACHE_BAN_URLS = [f"http://127.0.0.1:{sock.getsockname()[1]}/"]
        yield request.param
        # Closing the socket resets the connections waiting on it: the ban fails now.
    sharedcache.wait_for_bans(timeout=4 * SLOW_BAN_SECONDS)


def approve(client: Client, moderator: User) -> float:
    """A moderator approves a submission through the site; the seconds the request took."""
    submission = submit_ok(client, make_payload(title="CoreDNS ran out of memory"))
    moderation = Client()
    moderation.force_login(moderator)
    started = time.monotonic()
    response = moderation.post(
        submission.get_review_url(), {"action": "approve", "version": "1", "verified": "listing"}
    )
    took = time.monotonic() - started
    assert response.status_code == 302
    assert Story.objects.filter(status=Story.Status.PUBLISHED).count() == 1
    return took


@pytest.mark.django_db(transaction=True)
def test_an_approval_does_not_wait_for_a_shared_cache_that_does_not_answer(
    client: Client, taxonomy: None, moderator: User, unreachable: str
) -> None:
    took = approve(client, moderator)
    # Sent on the request path, the ban would have held it two attempts of 10 s.
    assert took < SLOW_BAN_SECONDS / 2, f"the approval took {took:.1f} s"
    if unreachable == "never-answers":
        with sharedcache._lock:
            assert sharedcache._senders, "the ban should still be waiting for its answer"


@pytest.mark.django_db(transaction=True)
def test_an_approval_bans_in_the_shared_cache_at_its_generation(
    client: Client, taxonomy: None, moderator: User, reachable: list[str]
) -> None:
    approve(client, moderator)
    raised = current_generation()
    sharedcache.wait_for_bans(repeated=False)
    assert str(raised) in reachable  # the first ban, sent at once by its thread
    sharedcache.wait_for_bans()
    assert reachable[-1] == str(current_generation())  # and the repeat, half a second later


@pytest.mark.django_db(transaction=True)
def test_a_ban_not_delivered_goes_to_the_worker_once_until_it_gets_through(
    settings: Any, monkeypatch: pytest.MonkeyPatch, reachable: list[str]
) -> None:
    from celery import current_app

    sent: list[tuple[str, list[Any]]] = []
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)  # as with a broker
    monkeypatch.setattr(current_app, "send_task", lambda name, args, **_: sent.append((name, args)))
    up = settings.SHARED_CACHE_BAN_URLS[0]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        settings.SHARED_CACHE_BAN_URLS = [down, up]
        assert sharedcache.send_ban(current_generation()) is False
        assert sent == [("apps.core.tasks.ban_shared_cache", [down])]
        assert reachable == [str(current_generation())]  # the other cache took it
        # Later writes while that retry is pending: it will ban at their generation.
        sharedcache._raise_generation()
        assert sharedcache.send_ban(current_generation()) is False
        assert len(sent) == 1
        # Once the worker got a ban through, the next failure needs a retry of its own.
        with monkeypatch.context() as back_up:
            back_up.setattr(sharedcache, "ban", lambda url, generation: None)
            tasks.ban_shared_cache.apply(args=[down])
        assert sharedcache.send_ban(current_generation()) is False
        assert sent == [("apps.core.tasks.ban_shared_cache", [down])] * 2
        sharedcache.retried(down)


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_an_undelivered_ban_is_only_logged(
    settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from celery import current_app

    monkeypatch.setattr(current_app, "send_task", lambda *a, **k: pytest.fail("sent a task"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.SHARED_CACHE_BAN_URLS = [f"http://127.0.0.1:{sock.getsockname()[1]}/"]
        assert sharedcache.send_ban(None) is False
    assert "did not take the ban" in caplog.text


@pytest.mark.django_db
def test_the_worker_bans_at_the_generation_of_then(reachable: list[str], settings: Any) -> None:
    url = settings.SHARED_CACHE_BAN_URLS[0]
    tasks.ban_shared_cache.apply(args=[url])
    assert reachable == [str(current_generation())]
    # Only the caches configured, whatever the message names.
    tasks.ban_shared_cache.apply(args=["http://127.0.0.1:9/"])
    assert reachable == [str(current_generation())]


@pytest.mark.django_db
def test_the_worker_retries_a_cache_still_out_of_reach(settings: Any) -> None:
    task = tasks.ban_shared_cache
    assert OSError in task.autoretry_for and task.max_retries == 9 and task.retry_backoff
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        settings.SHARED_CACHE_BAN_URLS = [url]
        with pytest.raises(OSError):
            task.run(url)
