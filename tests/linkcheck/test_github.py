"""The GitHub API client, against a fake API on 127.0.0.1 (nothing else is ever contacted)."""

import datetime
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from apps.linkcheck.github import GitHubClient, GitHubError, RateLimited

pytestmark = pytest.mark.django_db

NOW = 1_700_000_000.0


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""  # answered with 304 when the request's If-None-Match matches


class FakeGitHub:
    """A scripted GitHub API: each path answers its replies in turn, repeating the last."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, dict(self.headers.items())))
                replies = fake.routes.get(self.path) or [Reply(404, {"message": "Not Found"})]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply.etag and self.headers.get("If-None-Match") == reply.etag:
                    self.send_response(304)
                    self.send_header("ETag", reply.etag)
                    self.end_headers()
                    return
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
                data = body.encode() if isinstance(body, str) else body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def headers_for(self, path: str) -> list[dict[str, str]]:
        return [headers for requested, headers in self.requests if requested == path]

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def serve_fake_github(settings: Any) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.thread.start()
    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_TOKEN = ""
    settings.UPSTREAM_RATE_LIMIT_MAX_WAIT = 60
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        fake.thread.join()


def issue_payload(
    number: int,
    *,
    state: str = "open",
    title: str = "A bug",
    labels: list[str] | None = None,
    milestone: str | None = None,
    closed_at: str | None = None,
    created_at: str | None = None,
    pull: bool = False,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "number": number,
        "state": state,
        "title": title,
        "labels": [{"id": i, "name": name} for i, name in enumerate(labels or [])],
        "milestone": {"title": milestone} if milestone else None,
        "closed_at": closed_at,
        "created_at": created_at,
    }
    if pull:
        payload["pull_request"] = {"url": f"https://api.github.com/pulls/{number}"}
    return payload


def rate_limited(reset: float, status: int = 403) -> Reply:
    return Reply(
        status,
        {"message": "API rate limit exceeded"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset))},
    )


@pytest.fixture(autouse=True)
def github(settings: Any) -> Iterator[FakeGitHub]:
    yield from serve_fake_github(settings)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[GitHubClient]:
    with GitHubClient(sleep=sleeps.append, clock=lambda: NOW) as client:
        yield client


PATH = "/repos/kubernetes/kubernetes/issues/1"


def test_sends_the_api_headers_and_no_token_when_none_is_set(
    github: FakeGitHub, client: GitHubClient, settings: Any
) -> None:
    github.route(PATH, Reply(body=issue_payload(1), etag='"v1"'))

    response = client.get("repos/kubernetes/kubernetes/issues/1")

    assert response.status == 200
    assert response.data["number"] == 1
    assert response.etag == '"v1"'
    [headers] = github.headers_for(PATH)
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert headers["User-Agent"] == settings.USER_AGENT
    assert "Authorization" not in headers
    assert "If-None-Match" not in headers


def test_sends_the_token_as_a_bearer_header(github: FakeGitHub, settings: Any) -> None:
    settings.GITHUB_TOKEN = "ghp_example"
    github.route(PATH, Reply(body=issue_payload(1)))

    with GitHubClient() as client:
        client.get(PATH)

    [headers] = github.headers_for(PATH)
    assert headers["Authorization"] == "Bearer ghp_example"


def test_a_matching_etag_is_sent_and_answered_with_304(
    github: FakeGitHub, client: GitHubClient
) -> None:
    github.route(PATH, Reply(body=issue_payload(1), etag='W/"abc"'))

    response = client.get(PATH, etag='W/"abc"')

    assert response.not_modified
    assert response.data is None
    [headers] = github.headers_for(PATH)
    assert headers["If-None-Match"] == 'W/"abc"'


def test_a_rate_limit_that_resets_soon_is_waited_for_then_retried_once(
    github: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    github.route(PATH, rate_limited(NOW + 3), Reply(body=issue_payload(1)))

    response = client.get(PATH)

    assert response.data["number"] == 1
    assert sleeps == [4]  # three seconds to the reset plus a second of margin
    assert len(github.requests) == 2


def test_a_rate_limit_that_resets_late_raises_without_waiting(
    github: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    github.route(PATH, rate_limited(NOW + 3600, status=429))

    with pytest.raises(RateLimited) as caught:
        client.get(PATH)

    assert caught.value.reset_at == datetime.datetime.fromtimestamp(NOW + 3601, tz=datetime.UTC)
    assert sleeps == []
    assert len(github.requests) == 1


def test_a_rate_limit_after_the_wait_raises_instead_of_hammering(
    github: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    github.route(PATH, rate_limited(NOW + 2))

    with pytest.raises(RateLimited):
        client.get(PATH)

    assert sleeps == [3]
    assert len(github.requests) == 2


def test_retry_after_is_honoured(
    github: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    github.route(
        PATH,
        Reply(403, {"message": "secondary rate limit"}, {"Retry-After": "7"}),
        Reply(body=issue_payload(1)),
    )

    assert client.get(PATH).status == 200
    assert sleeps == [7]


def test_a_used_up_quota_stops_the_next_call_before_it_is_sent(
    github: FakeGitHub, client: GitHubClient
) -> None:
    github.route(
        PATH,
        Reply(
            body=issue_payload(1),
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + 900))},
        ),
    )

    client.get(PATH)
    with pytest.raises(RateLimited):
        client.get(PATH)

    assert len(github.requests) == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(403, {"message": "Resource not accessible"}), "403"),
        (Reply(404, {"message": "Not Found"}), "404"),
        (Reply(410, {"message": "Gone"}), "410"),
        (Reply(502, b"<html>bad gateway</html>"), "502"),
        (Reply(200, b"{not json"), "not valid JSON"),
    ],
)
def test_errors_raise_github_error(
    github: FakeGitHub, client: GitHubClient, sleeps: list[float], reply: Reply, message: str
) -> None:
    github.route(PATH, reply)

    with pytest.raises(GitHubError, match=message):
        client.get(PATH)

    assert sleeps == []
    assert len(github.requests) == 1


def test_a_refused_connection_is_a_github_error(settings: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.GITHUB_API_URL = f"http://127.0.0.1:{port}"

    with GitHubClient() as client, pytest.raises(GitHubError, match="failed"):
        client.get(PATH)


def test_a_redirect_on_the_api_host_is_followed(github: FakeGitHub, client: GitHubClient) -> None:
    moved = "/repositories/20580498/issues/1"
    github.route(
        PATH, Reply(301, {"message": "Moved Permanently"}, {"Location": github.url + moved})
    )
    github.route(moved, Reply(body=issue_payload(1)))

    assert client.get(PATH).data["number"] == 1
    assert github.paths() == [PATH, moved]


def test_a_redirect_off_the_api_host_is_refused(github: FakeGitHub, client: GitHubClient) -> None:
    # 192.0.2.0/24 is reserved for documentation; the client must not even try it.
    github.route(PATH, Reply(302, {}, {"Location": "http://192.0.2.1/issues/1"}))

    with pytest.raises(GitHubError, match="off the API host"):
        client.get(PATH)

    assert github.paths() == [PATH]
