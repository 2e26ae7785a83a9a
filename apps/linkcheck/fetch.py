"""A guarded HTTP client for checking that a link still answers.

Every hop is resolved and checked by guard.resolve_public, then the connection goes to
the checked address itself, with the original host name in the Host header and in TLS
(SNI and certificate verification). A DNS answer that changes between check and connect
(DNS rebinding) therefore cannot steer the checker anywhere else. Redirects are followed
here, one checked hop at a time, never by urllib3.
"""

import contextlib
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from apps.linkcheck.guard import BlockedAddress, HostLookupFailed, IPAddress, resolve_public

SCHEMES = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A GET reads at most this much of the body: enough to see the server really answers.
MAX_BODY_BYTES = 4096
# A host with many addresses gets this many connection attempts, not one per address.
MAX_ADDRESSES_TRIED = 3
# Characters left as they are when a request target is percent-encoded.
TARGET_SAFE = "/%:@!$&'()*+,;=-._~?"


@dataclass
class FetchResult:
    """What a link check found: the last status, where the chain ended, what went wrong."""

    url: str
    final_url: str
    status_code: int | None = None
    reason: str = ""
    # Empty when a final HTTP response arrived; its status then says whether it is good.
    error: str = ""
    redirects: list[str] = field(default_factory=list)
    # The guard refused an address (private, loopback, metadata, ...).
    blocked: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def problem(self) -> str:
        """One line on why the link is not fine, or "" when it is."""
        if self.ok:
            return ""
        if self.error:
            return self.error
        return f"HTTP {self.status_code} {self.reason}".strip()


class _HopFailed(Exception):
    def __init__(self, message: str, *, blocked: bool = False) -> None:
        super().__init__(message)
        self.blocked = blocked


@dataclass
class _Response:
    status: int
    reason: str
    location: str | None


@dataclass
class _Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal without brackets
    port: int
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _HopFailed(f"malformed URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _HopFailed(f"unsupported URL scheme {scheme or 'none'!r} in {url!r}")
    if not parts.hostname:
        raise _HopFailed(f"no host name in {url!r}")
    try:
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise _HopFailed(f"invalid host name {parts.hostname!r}") from None
    path = quote(parts.path or "/", safe=TARGET_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=TARGET_SAFE)}"
    return _Target(scheme=scheme, host=host, port=port or SCHEMES[scheme], path=path)


def _pool(target: _Target, ip: IPAddress, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        # Connect to the checked address; SNI and certificate checks use the host name.
        return urllib3.HTTPSConnectionPool(
            str(ip),
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        str(ip), target.port, timeout=timeout, retries=False, maxsize=1
    )


def _request(target: _Target, ip: IPAddress, method: str) -> _Response:
    timeout = urllib3.Timeout(
        connect=settings.LINKCHECK_CONNECT_TIMEOUT, read=settings.LINKCHECK_READ_TIMEOUT
    )
    headers = {
        "Host": target.host_header,
        "User-Agent": settings.USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
        "Accept-Encoding": "identity",
    }
    pool = _pool(target, ip, timeout)
    try:
        response = pool.urlopen(
            method,
            target.path,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
        )
        try:
            if method == "GET":
                # The status line already answered; a failure while reading the body is moot.
                with contextlib.suppress(HTTPError, OSError):
                    response.read(MAX_BODY_BYTES, decode_content=False)
            return _Response(
                status=response.status,
                reason=response.reason or "",
                location=response.headers.get("Location"),
            )
        finally:
            response.close()
    finally:
        pool.close()


def _request_any(target: _Target, addresses: list[IPAddress], method: str) -> _Response:
    """Try the checked addresses in turn until one accepts the connection."""
    failure = ""
    for ip in addresses[:MAX_ADDRESSES_TRIED]:
        where = target.host if target.host == str(ip) else f"{target.host} ({ip})"
        try:
            return _request(target, ip, method)
        except NewConnectionError as exc:
            failure = f"could not connect to {where}: {exc.__cause__ or exc}"
        except ConnectTimeoutError:
            failure = (
                f"connecting to {where} timed out after {settings.LINKCHECK_CONNECT_TIMEOUT} s"
            )
    raise _HopFailed(failure)


def _hop(target: _Target) -> _Response:
    """One URL: HEAD, then GET when the HEAD answer may only mean "no HEAD here"."""
    try:
        addresses = resolve_public(target.host, target.port)
    except BlockedAddress as exc:
        raise _HopFailed(str(exc), blocked=True) from None
    except HostLookupFailed as exc:
        raise _HopFailed(str(exc)) from None
    try:
        try:
            response = _request_any(target, addresses, "HEAD")
        except ProtocolError:
            response = None  # Some servers drop the connection on HEAD.
        # Many servers answer HEAD with 405, 501, 403, 404 or 5xx yet serve GET fine.
        if response is None or response.status >= 400:
            response = _request_any(target, addresses, "GET")
        return response
    except ReadTimeoutError:
        raise _HopFailed(
            f"{target.host} did not answer within {settings.LINKCHECK_READ_TIMEOUT} s"
        ) from None
    except SSLError as exc:
        raise _HopFailed(f"TLS error with {target.host}: {exc.__cause__ or exc}") from None
    except ProtocolError as exc:
        raise _HopFailed(f"{target.host} broke the connection: {exc}") from None
    except (HTTPError, OSError) as exc:
        raise _HopFailed(f"request to {target.host} failed: {exc}") from None


def fetch_url(url: str) -> FetchResult:
    """Check one URL, following redirects up to settings.LINKCHECK_MAX_REDIRECTS.

    Never raises for anything the network or the remote server does: failures come back
    in FetchResult.error (and FetchResult.blocked when the guard refused an address).
    """
    result = FetchResult(url=url, final_url=url)
    seen = {url}
    while True:
        try:
            response = _hop(_parse(result.final_url))
        except _HopFailed as exc:
            result.error = str(exc)
            result.blocked = exc.blocked
            return result
        result.status_code = response.status
        result.reason = response.reason
        if response.status not in REDIRECT_STATUSES:
            return result
        if not response.location:
            result.error = f"HTTP {response.status} redirect without a Location header"
            return result
        if len(result.redirects) >= settings.LINKCHECK_MAX_REDIRECTS:
            result.error = f"too many redirects (more than {settings.LINKCHECK_MAX_REDIRECTS})"
            return result
        next_url = urljoin(result.final_url, response.location.strip()).split("#", 1)[0]
        if next_url in seen:
            result.error = f"redirect loop at {next_url}"
            return result
        seen.add(next_url)
        result.redirects.append(next_url)
        result.final_url = next_url
