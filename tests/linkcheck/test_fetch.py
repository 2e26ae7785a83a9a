"""The guarded HTTP client against fake servers on 127.0.0.1.

Nothing here reaches beyond loopback: `Network` answers DNS from a table (no resolver is
asked) and fails any socket connection to an address that is not loopback, recording
every connection so tests can prove a refused address was never contacted.
"""

import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from apps.linkcheck.fetch import fetch_url


class Network:
    """Fake DNS plus a record of every outgoing connection, which must stay on loopback."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, Callable[[], list[str]]] = {}
        self.lookups: list[str] = []
        self.connections: list[str] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect

        def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
            name = host.decode() if isinstance(host, bytes) else str(host)
            self.lookups.append(name)
            if name in self.names:
                return [
                    answer
                    for ip in self.names[name]()
                    for answer in real_getaddrinfo(ip, port, *args, **kwargs)
                ]
            try:
                ipaddress.ip_address(name.split("%")[0])
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"{name} is not in the fake DNS") from None
            return real_getaddrinfo(host, port, *args, **kwargs)

        def connect(sock: socket.socket, address):  # type: ignore[no-untyped-def]
            self.connections.append(address[0])
            if not ipaddress.ip_address(address[0]).is_loopback:
                raise AssertionError(f"a test tried to connect to {address[0]}")
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)

    def add(self, name: str, *ips: str) -> None:
        self.names[name] = lambda: list(ips)


@dataclass
class Route:
    status: int = 200
    head_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"<p>ok</p>"
    delay: float = 0.0
    endless: bool = False


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: "FakeServer"

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN; skip that lookup.
        http.server.socketserver.TCPServer.server_bind(self)  # type: ignore[attr-defined]
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # Clients hang up on purpose (timeouts, bodies cut short).


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_HEAD(self) -> None:
        self.server.owner.respond(self, "HEAD")

    def do_GET(self) -> None:
        self.server.owner.respond(self, "GET")

    def log_message(self, format: str, *args: object) -> None:
        pass


class FakeServer:
    """An HTTP server on 127.0.0.1 with canned answers per path and a log of requests."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def on(self, path: str, status: int = 200, **options: object) -> str:
        self.routes[path] = Route(status=status, **options)  # type: ignore[arg-type]
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 301) -> str:
        return self.on(path, status, headers={"Location": location}, body=b"")

    def methods(self, path: str | None = None) -> list[str]:
        return [r.method for r in self.requests if path is None or r.path == path]

    def respond(self, handler: _Handler, method: str) -> None:
        self.requests.append(Seen(method, handler.path, dict(handler.headers.items())))
        route = self.routes.get(handler.path, Route(status=404, body=b"not found"))
        if route.delay:
            self.stopping.wait(route.delay)
        status = route.head_status if method == "HEAD" and route.head_status else route.status
        handler.send_response(status)
        for name, value in route.headers.items():
            handler.send_header(name, value)
        if not route.endless:
            handler.send_header("Content-Length", str(len(route.body)))
        handler.end_headers()
        if method != "GET":
            return
        if not route.endless:
            handler.wfile.write(route.body)
            return
        chunk = b"x" * 16384
        for _ in range(640):  # At most 10 MB, in case the client keeps reading.
            if self.stopping.is_set():
                return
            handler.wfile.write(chunk)

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    return Network(monkeypatch)


@pytest.fixture
def server(network: Network, settings) -> Iterator[FakeServer]:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    settings.LINKCHECK_CONNECT_TIMEOUT = 1
    settings.LINKCHECK_READ_TIMEOUT = 2
    settings.LINKCHECK_MAX_REDIRECTS = 5
    fake = FakeServer()
    yield fake
    fake.stop()


def only_loopback(network: Network) -> None:
    assert network.connections, "expected at least one connection"
    assert set(network.connections) == {"127.0.0.1"}


def test_200_with_head_only(server: FakeServer, network: Network) -> None:
    result = fetch_url(server.on("/ok"))
    assert result.ok
    assert (result.status_code, result.error, result.redirects) == (200, "", [])
    assert result.final_url == server.url("/ok")
    assert server.methods() == ["HEAD"]
    only_loopback(network)


def test_sends_user_agent_and_the_original_host_name(
    server: FakeServer, network: Network, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.USER_AGENT = "kfs-test-agent/9"
    network.add("links.test", "127.0.0.1")
    server.on("/page")
    result = fetch_url(server.url("/page", host="links.test"))
    assert result.ok
    (request,) = server.requests
    assert request.headers["Host"] == f"links.test:{server.port}"
    assert request.headers["User-Agent"] == "kfs-test-agent/9"
    assert network.connections == ["127.0.0.1"]


@pytest.mark.parametrize("head_status", [405, 501, 403])
def test_head_refused_then_get(server: FakeServer, head_status: int) -> None:
    result = fetch_url(server.on("/no-head", head_status=head_status))
    assert result.ok
    assert result.status_code == 200
    assert server.methods() == ["HEAD", "GET"]


def test_get_reads_only_the_start_of_an_endless_body(server: FakeServer) -> None:
    started = time.monotonic()
    result = fetch_url(server.on("/stream", head_status=405, endless=True))
    assert result.ok
    assert time.monotonic() - started < 2


def test_301_chain_that_ends_200(server: FakeServer, network: Network) -> None:
    server.redirect("/a", "/b")  # relative
    server.redirect("/b", server.url("/c"), status=308)
    server.on("/c")
    result = fetch_url(server.url("/a"))
    assert result.ok
    assert result.redirects == [server.url("/b"), server.url("/c")]
    assert result.final_url == server.url("/c")
    assert server.methods() == ["HEAD", "HEAD", "HEAD"]
    only_loopback(network)


def test_redirect_loop(server: FakeServer) -> None:
    server.redirect("/x", "/y", status=302)
    server.redirect("/y", "/x", status=302)
    result = fetch_url(server.url("/x"))
    assert not result.ok
    assert result.status_code == 302
    assert result.error == f"redirect loop at {server.url('/x')}"


def test_too_many_redirects(server: FakeServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_MAX_REDIRECTS = 3
    for hop in range(10):
        server.redirect(f"/hop/{hop}", f"/hop/{hop + 1}", status=302)
    result = fetch_url(server.url("/hop/0"))
    assert not result.ok
    assert result.error == "too many redirects (more than 3)"
    assert len(result.redirects) == 3
    assert result.final_url == server.url("/hop/3")
    assert len(server.requests) == 4


def test_redirect_without_location(server: FakeServer) -> None:
    result = fetch_url(server.on("/nowhere", 302, body=b""))
    assert not result.ok
    assert "without a Location" in result.error


def test_redirect_to_another_scheme_is_refused(server: FakeServer, network: Network) -> None:
    result = fetch_url(server.redirect("/ftp", "ftp://127.0.0.1/file"))
    assert not result.ok
    assert not result.blocked
    assert "unsupported URL scheme 'ftp'" in result.error
    assert network.connections == ["127.0.0.1"]


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (410, "Gone")])
def test_client_errors(server: FakeServer, status: int, reason: str) -> None:
    result = fetch_url(server.on("/gone", status))
    assert not result.ok
    assert result.status_code == status
    assert result.error == ""
    assert result.problem == f"HTTP {status} {reason}"
    # HEAD failed, so GET got its chance too.
    assert server.methods() == ["HEAD", "GET"]


def test_server_error(server: FakeServer) -> None:
    result = fetch_url(server.on("/boom", 503))
    assert (result.ok, result.status_code) == (False, 503)


def test_slow_server_exceeds_the_read_timeout(server: FakeServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_READ_TIMEOUT = 1
    started = time.monotonic()
    result = fetch_url(server.on("/slow", delay=5))
    elapsed = time.monotonic() - started
    assert not result.ok
    assert result.status_code is None
    assert result.error == "127.0.0.1 did not answer within 1 s"
    assert 0.9 < elapsed < 2.5
    assert server.methods() == ["HEAD"]  # A timeout is not retried with GET.


def test_connection_refused(network: Network, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch_url(f"http://127.0.0.1:{port}/")
    assert not result.ok
    assert result.error.startswith("could not connect to 127.0.0.1")
    assert not result.blocked


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://10.1.2.3/", "refused to connect to 10.1.2.3: a private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused to connect to 169.254.169.254: a cloud metadata address",
        ),
        ("http://[fd00:ec2::254]/", "refused to connect to fd00:ec2::254: a cloud metadata"),
        ("http://100.100.100.200/", "a carrier-grade NAT address"),
        ("http://[::ffff:10.0.0.1]/", "a private address (embedded in ::ffff:a00:1)"),
        ("http://0.0.0.0:8080/", "the unspecified address"),
    ],
)
def test_redirect_to_a_private_address_is_refused_before_connecting(
    server: FakeServer, network: Network, location: str, expected: str
) -> None:
    result = fetch_url(server.redirect("/evil", location, status=302))
    assert not result.ok
    assert result.blocked
    assert expected in result.error
    assert result.final_url == location
    assert result.status_code == 302
    # One connection, to the fake server; none to the refused address.
    assert network.connections == ["127.0.0.1"]


def test_redirect_to_a_name_that_resolves_to_the_metadata_address(
    server: FakeServer, network: Network
) -> None:
    network.add("metadata.test", "169.254.169.254")
    result = fetch_url(server.redirect("/evil", "http://metadata.test/latest/meta-data/"))
    assert result.blocked
    assert "metadata.test (169.254.169.254): a cloud metadata address" in result.error
    assert network.connections == ["127.0.0.1"]


def test_loopback_refused_unless_allowed(server: FakeServer, network: Network, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = False
    result = fetch_url(server.on("/ok"))
    assert not result.ok
    assert result.blocked
    assert result.error == "refused to connect to 127.0.0.1: a loopback address"
    assert network.connections == []
    assert server.requests == []


def test_connects_to_the_checked_address_even_if_dns_changes(
    server: FakeServer, network: Network
) -> None:
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    network.names["rebind.test"] = lambda: next(answers)
    result = fetch_url(server.on("/ok").replace("127.0.0.1", "rebind.test"))
    assert result.ok
    assert network.lookups.count("rebind.test") == 1
    assert network.connections == ["127.0.0.1"]
    assert server.requests[0].headers["Host"] == f"rebind.test:{server.port}"


def test_unknown_host(network: Network, settings) -> None:  # type: ignore[no-untyped-def]
    result = fetch_url("https://nowhere.test/page")
    assert not result.ok
    assert not result.blocked
    assert result.error.startswith("could not resolve nowhere.test")
    assert network.connections == []


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=links.test", "-addext", "subjectAltName=DNS:links.test",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_uses_the_host_name_for_sni_and_verification(
    network: Network, settings, self_signed: ssl.SSLContext
) -> None:  # type: ignore[no-untyped-def]
    settings.LINKCHECK_ALLOW_LOOPBACK = True
    names: list[str | None] = []
    self_signed.sni_callback = lambda sock, name, context: names.append(name)  # type: ignore[assignment,func-returns-value]
    network.add("links.test", "127.0.0.1")
    fake = FakeServer(tls=self_signed)
    try:
        result = fetch_url(fake.url("/", host="links.test", scheme="https"))
    finally:
        fake.stop()
    # The certificate is self-signed, so verification (which is on) must fail.
    assert not result.ok
    assert result.error.startswith("TLS error with links.test")
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert names == ["links.test"]
    assert network.connections == ["127.0.0.1"]
