"""A small client for the GitHub REST API: conditional GETs that respect the rate limit.

GitHub asks API clients to send conditional requests (a 304 costs nothing against the
rate limit) and, when limited, to wait for the reset instead of retrying. The client
waits only as long as settings.UPSTREAM_RATE_LIMIT_MAX_WAIT allows and otherwise raises
RateLimited, so a batch can stop and leave the rest for its next run.
"""

import datetime
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

API_VERSION = "2022-11-28"
MAX_REDIRECTS = 3
# GitHub's reset time is in whole seconds and clocks drift: wait a little past it.
RESET_MARGIN = 1.0
# GitHub's advice for a secondary rate limit that names no time: wait at least a minute.
SECONDARY_LIMIT_WAIT = 60.0
MAX_BODY_BYTES = 5 * 1024 * 1024


class GitHubError(Exception):
    """The API did not answer usefully: an error status, a network failure, bad JSON."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(Exception):
    """GitHub's rate limit is used up until reset_at, later than we are willing to wait."""

    def __init__(self, reset_at: datetime.datetime) -> None:
        super().__init__(f"GitHub rate limit exceeded until {reset_at:%Y-%m-%d %H:%M:%S} UTC")
        self.reset_at = reset_at


@dataclass(frozen=True)
class GitHubResponse:
    status: int
    data: Any
    etag: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class GitHubClient:
    """GETs JSON from settings.GITHUB_API_URL. Use as a context manager to close the pool.

    `sleep` and `clock` are injectable so tests never really wait.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = (base_url or settings.GITHUB_API_URL).rstrip("/") + "/"
        self.token = settings.GITHUB_TOKEN if token is None else token
        self.max_wait = settings.UPSTREAM_RATE_LIMIT_MAX_WAIT if max_wait is None else max_wait
        self.sleep = sleep
        self.clock = clock
        # Set when a response says the limit is used up, so the next call waits first.
        self._exhausted_until: float | None = None
        self._pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(
                connect=settings.LINKCHECK_CONNECT_TIMEOUT, read=settings.LINKCHECK_READ_TIMEOUT
            ),
            retries=False,
        )

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": settings.USER_AGENT,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._pool.clear()

    def get(self, path: str, *, etag: str = "") -> GitHubResponse:
        """GET a path below the API root. A 304 (etag still current) has data None.

        Raises GitHubError for any other non-2xx answer and RateLimited when the limit
        resets later than max_wait; after one wait it retries once.
        """
        if self._exhausted_until is not None:
            self._wait_or_raise(self._exhausted_until)
            self._exhausted_until = None
        for attempt in range(2):
            response, body = self._request(path, etag)
            reset = self._rate_limit_reset(response)
            if reset is None:
                break
            if attempt:
                raise RateLimited(_utc(reset))
            self._wait_or_raise(reset)
        self._note_remaining(response)
        return self._parse(response, body)

    def _request(self, path: str, etag: str) -> tuple[urllib3.BaseHTTPResponse, bytes]:
        url = urljoin(self.base_url, path.lstrip("/"))
        # Per-request headers replace the pool's in urllib3, so send them all every time.
        headers = self._headers()
        if etag:
            headers["If-None-Match"] = etag
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._pool.request(
                    "GET", url, headers=headers, redirect=False, preload_content=False
                )
                body = response.read(MAX_BODY_BYTES + 1)
                response.release_conn()
            except urllib3.exceptions.HTTPError as exc:
                raise GitHubError(f"request to {url} failed: {exc}") from exc
            location = response.headers.get("Location")
            if response.status not in (301, 302, 307, 308) or not location:
                return response, body
            # A moved repository or transferred issue; never follow one off the API host.
            url = urljoin(url, location)
            if not _same_origin(url, self.base_url):
                raise GitHubError(f"redirected off the API host to {url}", status=response.status)
        raise GitHubError(f"more than {MAX_REDIRECTS} redirects for {path}")

    def _rate_limit_reset(self, response: urllib3.BaseHTTPResponse) -> float | None:
        """When a rate-limited response says to try again (epoch seconds), else None."""
        if response.status not in (403, 429):
            return None
        retry_after = _retry_after(response.headers.get("Retry-After", ""), self.clock())
        if retry_after is not None:
            return retry_after
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = _number(response.headers.get("X-RateLimit-Reset", ""))
            return (
                reset + RESET_MARGIN if reset is not None else self.clock() + SECONDARY_LIMIT_WAIT
            )
        if response.status == 429:
            return self.clock() + SECONDARY_LIMIT_WAIT
        return None  # A plain 403: no permission, not a rate limit.

    def _wait_or_raise(self, reset: float) -> None:
        wait = reset - self.clock()
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise RateLimited(_utc(reset))
        self.sleep(math.ceil(wait))

    def _note_remaining(self, response: urllib3.BaseHTTPResponse) -> None:
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = _number(response.headers.get("X-RateLimit-Reset", ""))
            if reset is not None:
                self._exhausted_until = reset + RESET_MARGIN

    def _parse(self, response: urllib3.BaseHTTPResponse, body: bytes) -> GitHubResponse:
        etag = response.headers.get("ETag", "")
        if response.status == 304:
            return GitHubResponse(status=304, data=None, etag=etag)
        if not 200 <= response.status < 300:
            reason = response.reason or "error"
            raise GitHubError(f"GitHub answered {response.status} {reason}", status=response.status)
        if len(body) > MAX_BODY_BYTES:
            raise GitHubError("response too large", status=response.status)
        try:
            data = json.loads(body)
        except ValueError:
            raise GitHubError("response is not valid JSON", status=response.status) from None
        return GitHubResponse(status=response.status, data=data, etag=etag)


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _retry_after(value: str, now: float) -> float | None:
    """Retry-After is either delay-seconds or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is not None:
        return now + max(seconds, 0.0)
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _utc(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
