#!/usr/bin/env python3
"""The scale-out rehearsal (`make rehearsal`): the whole stack on this machine, under load,
losing one part at a time.

Started here, each in its own process group: one PostgreSQL cluster (initdb + pg_ctl, its
own port), one Redis (append-only file, so a restart keeps the queue), three gunicorn
replicas behind HAProxy (health-checked on /readyz as the readiness probe in
deploy/kubernetes/base/web.yaml: every 5 s, unready after 2 failures), two Celery workers
and two beats (the lease keeps one acting). A load generator sends reads, searches,
submissions and moderator approvals at a steady rate through HAProxy while faults are
injected in turn: SIGKILL of a web replica, a web replica replaced as a rolling update does
it (out of the load balancer, the preStop pause, SIGTERM), SIGKILL of the beat leader, a
Redis restart, a PostgreSQL restart, SIGSTOP of a worker. Each fault is followed by its
repair (the replica and the beat restarted as a kubelet would, SIGCONT) and by a settle
period.

At the end it prints one Markdown row per fault: errors clients saw, time to recover,
submissions and approvals accepted versus found in the database, outbox entries (the
notification emails) delivered exactly once, and the beat leaders seen at once. It exits
1 when a requirement fails (see STRICT below). A submission or approval in flight on the
SIGKILLed replica is not replayed (HAProxy's configuration says why): its 502, or its
connection closed without an answer, is counted apart, as cut off by the kill (see
cut_off_by_kill), and the run checks that it was applied at most once. Any other 5xx or
unanswered request in that fault fails the run, a GET's always. Everything listens on
127.0.0.1.

Knobs (environment): REHEARSAL_DIR, REHEARSAL_BASE_PORT (LB; replicas and metrics follow),
REHEARSAL_PG_PORT, REHEARSAL_REDIS_PORT, REHEARSAL_RATE (requests/s), REHEARSAL_SETTLE
(seconds of load before the first fault and after each recovery), REHEARSAL_PG_DOWN,
REHEARSAL_REDIS_DOWN, REHEARSAL_PAUSE (the worker's SIGSTOP), REHEARSAL_PRESTOP (the rolling
restart's pause between leaving HAProxy and SIGTERM: the manifest's), REHEARSAL_FAULTS (a comma
list of web,restart,beat,redis,postgres,worker), REHEARSAL_DATABASE_POOL (true),
REHEARSAL_MAX_5XX_RATIO (the bound for the Redis and PostgreSQL restarts),
REHEARSAL_LEASE_SECONDS and REHEARSAL_RENEW_SECONDS (the app's defaults, 30 and 10),
REHEARSAL_WEB_WORKERS (2 per replica).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("REHEARSAL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def knob(name: str, default: str) -> str:
    return os.environ.get(f"REHEARSAL_{name}", default)


DIR = Path(knob("DIR", str(ROOT / "var" / "rehearsal"))).resolve()
BASE_PORT = int(knob("BASE_PORT", "9100"))
LB_PORT = BASE_PORT
WEB_PORTS = [BASE_PORT + 1, BASE_PORT + 2, BASE_PORT + 3]
PG_PORT = int(knob("PG_PORT", "5491"))
REDIS_PORT = int(knob("REDIS_PORT", "6391"))
RATE = float(knob("RATE", "10"))
SETTLE = float(knob("SETTLE", "20"))
PG_DOWN = float(knob("PG_DOWN", "10"))
REDIS_DOWN = float(knob("REDIS_DOWN", "5"))
PAUSE = float(knob("PAUSE", "60"))
FAULTS = [f for f in knob("FAULTS", "web,restart,beat,redis,postgres,worker").split(",") if f]
POOL = knob("DATABASE_POOL", "true")
MAX_5XX_RATIO = float(knob("MAX_5XX_RATIO", "0.02"))
LEASE_SECONDS = int(knob("LEASE_SECONDS", "30"))
RENEW_SECONDS = int(knob("RENEW_SECONDS", "10"))
WEB_WORKERS = knob("WEB_WORKERS", "2")
RECOVERY_TIMEOUT = float(knob("RECOVERY_TIMEOUT", "150"))
DRAIN_TIMEOUT = float(knob("DRAIN_TIMEOUT", "240"))
HOST = "127.0.0.1"
LB = f"http://{HOST}:{LB_PORT}"
# Errors clients may see: none where one of several copies is lost (a web replica, a beat,
# a worker) or replaced, a bounded share while the one database or the one Redis restarts.
# The one exception: a request cut off by a SIGKILLed replica (cut_off_by_kill).
STRICT = {"baseline", "web", "restart", "beat", "worker"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Processes --------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    expected_down: bool = False
    deaths: list[str] = field(default_factory=list)

    @property
    def logfile(self) -> Path:
        return DIR / "logs" / f"{self.name}.log"

    def start(self) -> None:
        out = self.logfile.open("ab")
        self.popen = subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        out.close()
        self.expected_down = False

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def kill(self) -> None:
        self.expected_down = True
        self.signal(signal.SIGKILL)
        assert self.popen is not None
        self.popen.wait(10)

    def terminate(self, timeout: float) -> bool:
        """SIGTERM to the main process alone, as the kubelet signals a container's PID 1,
        and SIGKILL to the group after timeout (the termination grace period). True when
        it exited of itself."""
        self.expected_down = True
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)
            return False
        return True

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.expected_down = True
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        assert self.popen is not None
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)


def run(argv: list[str], env: dict[str, str] | None = None, **kwargs: Any) -> str:
    result = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def as_postgres(argv: list[str]) -> list[str]:
    # initdb refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def wait_for(check: Callable[[], bool], timeout: float, step: float = 0.2) -> float | None:
    """Seconds until check() held, or None after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - start
        time.sleep(step)
    return None


def http_ok(url: str, timeout: float = 3) -> bool:
    request = urllib.request.Request(url, headers={"Host": HOST})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bool(response.status == 200)


def group_running(pgid: int) -> bool:
    """Whether a process of the group still runs; a zombie has closed its sockets already."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            state, _, group = stat.read_text().rpartition(")")[2].split()[:3]
            if int(group) == pgid and state != "Z":
                return True
    return False


def web_manifest() -> dict[str, Any]:
    import yaml

    documents = yaml.safe_load_all((ROOT / "deploy/kubernetes/base/web.yaml").read_text("utf-8"))
    return dict(next(d for d in documents if d and d["kind"] == "Deployment"))


def termination() -> tuple[float, float]:
    """The web pods' preStop pause and termination grace period (seconds), from the manifest,
    so the rolling-restart fault replaces a replica as Kubernetes would."""
    pod = web_manifest()["spec"]["template"]["spec"]
    command = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    return float(command[1]), float(pod["terminationGracePeriodSeconds"])


def readiness_check() -> tuple[str, int]:
    """HAProxy's health check of a replica, from the readiness probe of the web Deployment
    (deploy/kubernetes/base/web.yaml), so the rehearsal tests the manifest's settings."""
    probe = web_manifest()["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"]["path"] == "/readyz"
    check = (
        f"check inter {probe.get('periodSeconds', 10)}s "
        f"fall {probe.get('failureThreshold', 3)} rise {probe.get('successThreshold', 1)}"
    )
    return check, int(probe.get("timeoutSeconds", 1))


class Stack:
    def __init__(self) -> None:
        self.pgdata = DIR / "pgdata"
        self.env = self._app_env()
        self.webs = [self._web(i, port) for i, port in enumerate(WEB_PORTS, 1)]
        self.workers = [
            Proc(f"worker{i}", [str(BIN / "celery"), "-A", "config", "worker", "--loglevel",
                                "INFO", "--concurrency", "1", "--hostname", f"worker{i}@%h"],
                 {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(DIR / f"prom-worker{i}")})
            for i in (1, 2)
        ]  # fmt: skip
        self.beats = [self._beat(i) for i in (1, 2)]
        self.redis = Proc("redis", [
            "redis-server", "--bind", HOST, "--port", str(REDIS_PORT), "--dir", str(DIR / "redis"),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
        ], dict(os.environ))  # fmt: skip
        self.haproxy = Proc("haproxy", ["haproxy", "-db", "-f", str(DIR / "haproxy.cfg")],
                            dict(os.environ))  # fmt: skip

    def _app_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=f"{HOST},localhost",
            SITE_URL=LB,
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            DATABASE_URL=f"postgres://postgres@{HOST}:{PG_PORT}/stories",
            DATABASE_POOL=POOL,
            CACHE_URL=f"redis://{HOST}:{REDIS_PORT}/1",
            CELERY_BROKER_URL=f"redis://{HOST}:{REDIS_PORT}/0",
            STATIC_ROOT=str(DIR / "static"),
            LOG_FORMAT="json",
            METRICS_ENABLED="true",
            TRUSTED_PROXY_COUNT="1",
            # The load is one submitter and one moderator at a steady rate, not abuse.
            SUBMISSION_RATE_PER_USER="1000000/hour",
            SUBMISSION_RATE_PER_IP="1000000/hour",
            API_THROTTLE_USER="1000000/min",
            API_THROTTLE_ANON="1000000/min",
            SCHEDULER_LEASE_SECONDS=str(LEASE_SECONDS),
            SCHEDULER_RENEW_SECONDS=str(RENEW_SECONDS),
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            PYTHONUNBUFFERED="1",
        )
        for name in ("PROMETHEUS_MULTIPROC_DIR", "CELERY_METRICS_PORT", "CELERY_KEY_PREFIX"):
            env.pop(name, None)
        return env

    def _web(self, index: int, port: int) -> Proc:
        return Proc(f"web{index}", [
            str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{port}",
            "--workers", WEB_WORKERS, "--graceful-timeout", "25", "--worker-tmp-dir", "/dev/shm",
            "--control-socket", str(DIR / f"web{index}.ctl"),
        ], {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(DIR / f"prom-web{index}")})  # fmt: skip

    def _beat(self, index: int) -> Proc:
        return Proc(f"beat{index}", [
            str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(DIR / f"beat{index}-schedule"),
        ], self.env)  # fmt: skip

    @property
    def app_procs(self) -> list[Proc]:
        return [*self.webs, *self.workers, *self.beats]

    def start_web(self, proc: Proc) -> None:
        prom = Path(proc.env["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(prom, ignore_errors=True)
        prom.mkdir()
        proc.start()

    def start_worker(self, proc: Proc) -> None:
        self.start_web(proc)  # the same: an emptied metrics directory, then start

    # PostgreSQL and Redis
    def pg_ctl(self, *args: str) -> None:
        run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), *args]))

    def pg_start(self) -> None:
        options = (f"-p {PG_PORT} -c listen_addresses={HOST} "
                   f"-c unix_socket_directories={self.pgdata} -c max_connections=200")  # fmt: skip
        self.pg_ctl("-o", options, "-l", str(DIR / "logs" / "postgresql.log"), "-w", "start")

    def pg_stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def setup(self) -> None:
        for port in [LB_PORT, *WEB_PORTS, PG_PORT, REDIS_PORT]:
            if not port_free(port):
                raise SystemExit(f"port {port} on {HOST} is in use: set REHEARSAL_BASE_PORT etc.")
        shutil.rmtree(DIR, ignore_errors=True)
        (DIR / "logs").mkdir(parents=True)
        (DIR / "redis").mkdir()
        self.pgdata.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(DIR / "logs", "postgres")
            shutil.chown(self.pgdata, "postgres")
            os.chmod(DIR, 0o755)
        log(f"PostgreSQL on {HOST}:{PG_PORT}, data in {self.pgdata}")
        run(as_postgres([str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--no-sync"]))  # fmt: skip
        self.pg_start()
        run(as_postgres([str(PG_BIN / "createdb"), "-h", HOST, "-p", str(PG_PORT), "-U",
                         "postgres", "stories"]))  # fmt: skip
        log(f"Redis on {HOST}:{REDIS_PORT}")
        self.redis.start()
        if wait_for(lambda: not port_free(REDIS_PORT), 10) is None:
            raise SystemExit("Redis did not start: see logs/redis.log")
        log("migrate, import_stories, collectstatic")
        manage = [str(BIN / "python"), "manage.py"]
        run([*manage, "migrate", "--no-input", "-v0"], self.env)
        run([*manage, "import_stories", "-v0"], self.env)
        run([*manage, "collectstatic", "--no-input", "-v0"], self.env)
        check, timeout = readiness_check()
        log(f"HAProxy checks /readyz as the web pods' readiness probe: {check}")
        (DIR / "haproxy.cfg").write_text(HAPROXY_CFG.format(
            lb=f"{HOST}:{LB_PORT}", sock=DIR / "haproxy.sock", host=HOST, timeout=timeout,
            servers="\n".join(HAPROXY_SERVER.format(index=i, host=HOST, port=port,
                                                    maxconn=WEB_WORKERS, check=check)
                              for i, port in enumerate(WEB_PORTS, 1)),
        ))  # fmt: skip
        log("3 web replicas, 2 workers, 2 beats, HAProxy")
        for proc in self.webs:
            self.start_web(proc)
        for proc in self.workers:
            self.start_worker(proc)
        for proc in self.beats:
            proc.start()
        self.haproxy.start()
        for port in WEB_PORTS:
            if wait_for(lambda p=port: http_ok(f"http://{HOST}:{p}/readyz"), 60) is None:  # type: ignore[misc]
                raise SystemExit(f"web replica on {port} is not ready: see {DIR}/logs")
        if wait_for(lambda: self.servers_up() == 3, 30) is None:
            raise SystemExit("HAProxy does not see 3 replicas up")

    def haproxy_command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(DIR / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def servers(self) -> list[dict[str, str]]:
        lines = self.haproxy_command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        return [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]

    def servers_up(self) -> int:
        return sum(1 for row in self.servers()
                   if row["svname"].startswith("web") and row["status"] == "UP")  # fmt: skip

    def sessions(self, server: str) -> int:
        """Requests HAProxy has under way on a replica."""
        return sum(int(row["scur"] or 0) for row in self.servers() if row["svname"] == server)

    def shutdown(self) -> None:
        for proc in [self.haproxy, *self.app_procs, self.redis]:
            proc.stop()
        with contextlib.suppress(SystemExit):
            self.pg_stop()


HAPROXY_CFG = """\
global
  maxconn 2000
  stats socket {sock} mode 600 level admin
  # One line a request in logs/haproxy.log: which replica, and how it ended (the termination
  # state: SH, a replica gone mid-answer; SC, no connection after every retry).
  log stdout format raw local0 info

defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 60s
  timeout server 40s
  timeout queue 40s
  timeout check {timeout}s
  option forwardfor
  # A request refused by a dead replica goes to another; a GET cut off by one is sent again.
  # A POST that reached a replica is never replayed (disable-l7-retry below): the replica
  # may have committed it before it died, and a replay would submit or approve twice. Its
  # client gets a 502 (on a reused client connection, the connection closed without an
  # answer) and decides; an approval repeated with the same version gets 409 if the first
  # went through. Left so on purpose: ingress-nginx in production does the same
  # (proxy_next_upstream "error timeout", without non_idempotent).
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response

frontend site
  bind {lb}
  default_backend web

backend web
  # One request per gunicorn worker at a time (maxconn): the rest wait here, in order, not
  # in a replica's listen backlog, where the health checks would queue behind them.
  balance leastconn
  http-request disable-l7-retry unless METH_GET || METH_HEAD
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {host}
  http-check expect status 200
{servers}
"""
# A replica that refuses a connection is out until its health check passes again. Without
# it, while a killed replica restarts, the queued requests all went to it (the one server
# with free slots: 0 connections) and got a 503 after their 3 retries (SC in the log), GETs
# too: 31 of 428 requests at 25 requests/s.
HAPROXY_SERVER = (
    "  server web{index} {host}:{port} maxconn {maxconn} {check}"
    " observe layer4 error-limit 1 on-error mark-down"
)


# What HAProxy sends again when a replica cuts it off (disable-l7-retry above).
REPLAYED_METHODS = frozenset({"GET", "HEAD"})


# Load -------------------------------------------------------------------------------------

SEARCHES = ["dns", "oom", "etcd", "cpu throttling", "conntrack", "certificate", "ndots", "node"]


@dataclass
class Result:
    start: float
    end: float
    kind: str
    method: str
    status: int  # 0: no HTTP answer (connection error or timeout)
    error: str = ""
    subject: str = ""  # what it would change: a submission's email, an approved id


# How HAProxy ends a request whose replica closed before answering, when it may not send it
# again: a 502 on a client connection's first request; on a later one, it closes the client
# connection without an answer or a log line (http_ana.c, abort_keep_alive), as the replica
# did, so the client sees what it would have seen talking to the replica itself.
CUT_OFF_ERRORS = ("RemoteDisconnected", "ConnectionResetError")


def cut_off_by_kill(result: Result, kills: list[tuple[float, float]]) -> bool:
    """Whether a request the load balancer may not send again (not GET or HEAD) ended as one
    cut off by a replica (a 502, or its connection closed without an answer) while the
    replica was being SIGKILLed: its lifetime overlaps a kill, from the signal until no
    process of the replica ran. Such a request may have been applied or not; it must not
    have been applied twice. A 503 is not one: HAProxy answers it when it could not connect
    to a replica (termination state SC), so the request reached none and should have gone
    to another; nor is a timeout."""
    ended_as_cut = result.status == 502 or (
        result.status == 0 and any(error in result.error for error in CUT_OFF_ERRORS)
    )
    return (
        result.method not in REPLAYED_METHODS
        and ended_as_cut
        and any(result.start <= until and since <= result.end for since, until in kills)
    )


class Load:
    def __init__(self, submitter_token: str, moderator_token: str, slugs: list[str]) -> None:
        self.http = urllib3.PoolManager(maxsize=400, retries=False,
                                        timeout=urllib3.Timeout(connect=3, read=45))  # fmt: skip
        self.submitter = {"Authorization": f"Token {submitter_token}"}
        self.moderator = {"Authorization": f"Token {moderator_token}"}
        self.slugs = slugs
        self.results: list[Result] = []
        self.submitted: dict[int, tuple[float, str]] = {}  # id -> (accepted at, email)
        self.approved: dict[int, float] = {}
        self.to_approve: collections.deque[tuple[int, str]] = collections.deque()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.counter = 0
        self.run_id = secrets.token_hex(4)

    def request(
        self, kind: str, method: str, path: str, subject: str = "", **kwargs: Any
    ) -> urllib3.BaseHTTPResponse | None:
        start = time.time()
        try:
            response = self.http.request(method, LB + path, **kwargs)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
            self.record(Result(start, time.time(), kind, method, 0, error, subject))
            return None
        self.record(Result(start, time.time(), kind, method, response.status, "", subject))
        return response

    def record(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)

    def read(self) -> None:
        slug = random.choice(self.slugs)  # noqa: S311
        path = random.choice([  # noqa: S311
            "/", "/stories/", f"/stories/{slug}/", "/components/", "/api/v1/stories/?page_size=20",
            f"/api/v1/stories/{slug}/",
        ])  # fmt: skip
        self.request("read", "GET", path)

    def search(self) -> None:
        term = urllib.parse.quote(random.choice(SEARCHES))  # noqa: S311
        path = random.choice([f"/stories/?q={term}", f"/api/v1/stories/?q={term}"])  # noqa: S311
        self.request("search", "GET", path)

    def submit(self) -> None:
        with self.lock:
            self.counter += 1
            n = self.counter
        email = f"rehearsal-{self.run_id}-{n}@example.org"
        body = {
            "title": f"Rehearsal {self.run_id} story {n}: CoreDNS ran out of memory",
            "organization": "Rehearsal Corp",
            "date": "2021-03",
            "sources": [
                {"url": f"https://rehearsal.example.org/{self.run_id}/{n}", "kind": "postmortem"}
            ],
            "components": ["coredns", "dns"],
            "platforms": ["aws"],
            "impact": ["outage"],
            "summary": f"Rehearsal submission {n}: CoreDNS pods were OOM-killed under load.",
            "email": email,
        }
        response = self.request("submit", "POST", "/api/v1/submissions/", email, json=body,
                                headers=self.submitter)  # fmt: skip
        if response is not None and response.status == 201:
            submission_id = int(response.json()["id"])
            with self.lock:
                self.submitted[submission_id] = (time.time(), email)
                self.to_approve.append((submission_id, response.headers["ETag"]))

    def approve(self) -> None:
        with self.lock:
            item = self.to_approve.popleft() if self.to_approve else None
        if item is None:
            self.read()
            return
        submission_id, etag = item
        response = self.request(
            "approve", "POST", f"/api/v1/submissions/{submission_id}/approve/", str(submission_id),
            json={"verified": "source"}, headers={**self.moderator, "If-Match": etag},
        )  # fmt: skip
        if response is not None and response.status == 200:
            with self.lock:
                self.approved[submission_id] = time.time()

    def run(self) -> None:
        ops: list[tuple[Callable[[], None], float]] = [
            (self.read, 0.6), (self.search, 0.25), (self.submit, 0.075), (self.approve, 0.075),
        ]  # fmt: skip
        functions, weights = zip(*ops, strict=True)
        with ThreadPoolExecutor(max_workers=400) as pool:
            next_at = time.monotonic()
            while not self.stop.is_set():
                pool.submit(random.choices(functions, weights)[0])  # noqa: S311
                next_at += 1 / RATE
                time.sleep(max(0.0, next_at - time.monotonic()))


# Observation ------------------------------------------------------------------------------


def model(name: str) -> Any:
    """A model by class name, wherever the layering puts it (linkcheck or core)."""
    from django.apps import apps

    return next(m for m in apps.get_models() if m.__name__ == name)


class LeaseSampler(threading.Thread):
    """The scheduler lease every 0.5 s: who holds it, and whether that process is alive."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.samples: list[tuple[float, int | None, str]] = []  # time, holder pid, state
        self.halt = threading.Event()

    def holder_pid(self) -> tuple[int | None, str]:
        from django.db import close_old_connections
        from django.utils import timezone

        close_old_connections()
        lease = model("SchedulerLease").objects.filter(name="celery-beat").first()
        if lease is None or lease.expires_at <= timezone.now():
            return None, "none"
        pid = int(lease.holder.split(":")[1])
        alive = {b.pid for b in self.stack.beats if b.alive()}
        return (pid, "live") if pid in alive else (pid, "dead holder")

    def run(self) -> None:
        from django.db import connections

        while not self.halt.is_set():
            try:
                pid, state = self.holder_pid()
            except Exception as exc:
                pid, state = None, f"unknown ({type(exc).__name__})"
                with contextlib.suppress(Exception):
                    connections.close_all()
            self.samples.append((time.time(), pid, state))
            time.sleep(0.5)


def log_lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                yield json.loads(line)


def timestamp(entry: dict[str, Any]) -> float:
    return datetime.datetime.fromisoformat(entry["time"]).timestamp()


def leader_beliefs(stack: Stack, deaths: dict[str, list[float]]) -> list[tuple[float, int]]:
    """(time, +1/-1) events: a beat starts or stops believing it is the leader."""
    events: list[tuple[float, int]] = []
    for beat in stack.beats:
        believing_since: float | None = None
        kills = list(deaths.get(beat.name, []))
        for entry in log_lines(beat.logfile):
            t = timestamp(entry)
            # A process killed while leader stopped believing when it died.
            while kills and kills[0] < t:
                if believing_since is not None:
                    events += [(believing_since, 1), (kills[0], -1)]
                    believing_since = None
                kills.pop(0)
            message = str(entry.get("message", ""))
            if message.startswith("scheduler lease:") and message.endswith(" is leader"):
                believing_since = t
            elif message.startswith("scheduler lease:") and message.endswith(" is standby"):
                if believing_since is not None:
                    events += [(believing_since, 1), (t, -1)]
                believing_since = None
        if believing_since is not None:
            end = kills[0] if kills else time.time()
            events += [(believing_since, 1), (end, -1)]
    return sorted(events, key=lambda e: (e[0], e[1]))


def max_believers(events: list[tuple[float, int]], start: float, end: float) -> int:
    """The most beats that believed at once that they were the leader, in [start, end)."""
    count = sum(delta for t, delta in events if t < start)
    peak = count
    for t, delta in events:
        if start <= t < end:
            count += delta
            peak = max(peak, count)
    return peak


def dispatches(stack: Stack) -> list[tuple[float, str]]:
    """(time, beat) of every sweep-outbox the beats sent."""
    sent = []
    for beat in stack.beats:
        for entry in log_lines(beat.logfile):
            if "Sending due task sweep-outbox" in str(entry.get("message", "")):
                sent.append((timestamp(entry), beat.name))
    return sorted(sent)


def emails(stack: Stack) -> collections.Counter[tuple[str, str]]:
    """(recipient, subject) of every email the workers' console backend printed (Celery
    logs a task's standard output, one record per email)."""
    sent: collections.Counter[tuple[str, str]] = collections.Counter()
    for worker in stack.workers:
        for entry in log_lines(worker.logfile):
            headers = dict(
                line.split(": ", 1)
                for line in str(entry.get("message", "")).partition("\n\n")[0].splitlines()
                if ": " in line
            )
            if "Subject" in headers and "To" in headers:
                sent[(headers["To"], headers["Subject"])] += 1
    return sent


RECEIVED = "[Kubernetes Failure Stories] We received your submission"
APPROVED = "[Kubernetes Failure Stories] Your submission was approved"


# Faults -----------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    title: str
    start: float
    fault_at: float | None = None
    repaired_at: float | None = None
    back_at: float | None = None
    end: float = 0.0
    note: str = ""
    problem: str = ""  # a requirement the fault itself broke


class Rehearsal:
    def __init__(self, stack: Stack, load: Load, sampler: LeaseSampler) -> None:
        self.stack = stack
        self.load = load
        self.sampler = sampler
        self.phases: list[Phase] = []
        self.deaths: dict[str, list[float]] = collections.defaultdict(list)
        self.kills: list[tuple[float, float]] = []  # a web replica's SIGKILL: from, until gone

    def lb_ready(self) -> bool:
        return http_ok(f"{LB}/readyz")

    def phase(self, name: str, title: str, inject: Callable[[Phase], None]) -> None:
        phase = Phase(name, title, time.time())
        log(f"fault: {title}")
        inject(phase)
        phase.end = time.time() + SETTLE
        self.phases.append(phase)
        time.sleep(SETTLE)

    def baseline(self) -> None:
        phase = Phase("baseline", "none (baseline)", time.time())
        time.sleep(SETTLE)
        phase.end = time.time()
        self.phases.append(phase)

    def await_back(self, phase: Phase, check: Callable[[], bool]) -> None:
        waited = wait_for(check, RECOVERY_TIMEOUT, step=0.25)
        phase.back_at = time.time() if waited is not None else None

    def web(self, phase: Phase) -> None:
        replica = self.stack.webs[1]
        phase.fault_at = time.time()
        replica.kill()
        # The master is reaped; its workers, in the same group, may take a moment longer.
        wait_for(lambda: not group_running(replica.pid), 10, step=0.01)
        self.kills.append((phase.fault_at, time.time()))
        self.deaths[replica.name].append(phase.fault_at)
        # Restarted at once, as the kubelet restarts a killed container.
        self.stack.start_web(replica)
        phase.repaired_at = time.time()
        port = WEB_PORTS[1]
        self.await_back(phase, lambda: http_ok(f"http://{HOST}:{port}/readyz")
                        and self.stack.servers_up() == 3)  # fmt: skip

    def restart(self, phase: Phase) -> None:
        """One step of a rolling update: the replica leaves the endpoints (HAProxy: drain, no
        new requests), the preStop pause, SIGTERM (gunicorn answers what it has, within its
        graceful timeout), and its replacement joins once ready. Nothing may fail."""
        replica, port = self.stack.webs[2], WEB_PORTS[2]
        prestop, grace = termination()
        prestop = float(knob("PRESTOP", str(prestop)))
        phase.fault_at = time.time()
        self.stack.haproxy_command(f"set server web/{replica.name} state drain")
        time.sleep(prestop)
        in_flight = self.stack.sessions(replica.name)
        sigterm_at = time.time()
        if not replica.terminate(grace - prestop):
            phase.problem = f"{replica.name} did not stop within {grace:g} s of SIGTERM"
        phase.note = (f"{replica.name} had {in_flight} requests in flight at SIGTERM and stopped "
                      f"{time.time() - sigterm_at:.1f} s after it")  # fmt: skip
        self.stack.start_web(replica)
        phase.repaired_at = time.time()
        wait_for(lambda: http_ok(f"http://{HOST}:{port}/readyz"), RECOVERY_TIMEOUT, step=0.25)
        self.stack.haproxy_command(f"set server web/{replica.name} state ready")
        self.await_back(phase, lambda: self.stack.servers_up() == 3)

    def beat(self, phase: Phase) -> None:
        pid, state = self.sampler.holder_pid()
        leader = next((b for b in self.stack.beats if b.pid == pid), None)
        if leader is None:
            raise SystemExit(f"no live beat leader to kill (lease: {state})")
        phase.fault_at = time.time()
        leader.kill()
        self.deaths[leader.name].append(phase.fault_at)
        phase.note = f"{leader.name} killed"

        def taken_over() -> bool:
            holder, holder_state = self.sampler.holder_pid()
            return holder_state == "live" and holder != leader.pid

        self.await_back(phase, taken_over)
        leader.start()  # back as the standby
        phase.repaired_at = time.time()

    def redis(self, phase: Phase) -> None:
        phase.fault_at = time.time()
        self.stack.redis.stop()
        time.sleep(REDIS_DOWN)
        self.stack.redis.start()
        phase.repaired_at = time.time()
        self.await_back(phase, self.lb_ready)

    def postgres(self, phase: Phase) -> None:
        phase.fault_at = time.time()
        self.stack.pg_stop()
        time.sleep(PG_DOWN)
        self.stack.pg_start()
        phase.repaired_at = time.time()
        self.await_back(phase, self.lb_ready)

    def worker(self, phase: Phase) -> None:
        worker = self.stack.workers[0]
        phase.fault_at = time.time()
        worker.signal(signal.SIGSTOP)
        time.sleep(PAUSE)
        worker.signal(signal.SIGCONT)
        phase.repaired_at = time.time()

        def caught_up() -> bool:
            # Every submission accepted during the pause has had its notification.
            assert phase.fault_at is not None and phase.repaired_at is not None
            sent = emails(self.stack)
            with self.load.lock:
                due = [email for at, email in self.load.submitted.values()
                       if phase.fault_at <= at < phase.repaired_at]  # fmt: skip
            return all(sent[(email, RECEIVED)] for email in due)

        self.await_back(phase, caught_up)


# Report -----------------------------------------------------------------------------------


def verify_and_report(rehearsal: Rehearsal, started: float) -> int:
    from django.db import connections
    from django.db.models import Count

    stack, load = rehearsal.stack, rehearsal.load
    Submission = model("Submission")
    OutboxEntry = model("OutboxEntry")
    AuditEntry = model("AuditEntry")

    log("draining: every outbox entry sent and every notification email out")
    expected_emails = {(email, RECEIVED) for _, email in load.submitted.values()} | {
        (load.submitted[i][1], APPROVED) for i in load.approved
    }

    def drained() -> bool:
        connections.close_all()  # a connection from before the PostgreSQL restart is dead
        pending = OutboxEntry.objects.filter(sent_at__isnull=True).count()
        sent = emails(stack)
        return pending == 0 and all(sent[key] for key in expected_emails)

    drain_wait = wait_for(drained, DRAIN_TIMEOUT, step=2)
    connections.close_all()
    log(f"drained in {drain_wait:.0f} s" if drain_wait is not None else "NOT drained")
    sent = emails(stack)
    submissions = Submission.objects.all()
    in_db = set(submissions.filter(pk__in=list(load.submitted)).values_list("pk", flat=True))
    approved_in_db = set(
        submissions.filter(
            pk__in=list(load.approved), status="approved", story__isnull=False
        ).values_list("pk", flat=True)
    )
    events = leader_beliefs(stack, rehearsal.deaths)
    sweeps = dispatches(stack)
    entries = list(OutboxEntry.objects.filter(task__endswith="notify_submitter").values(
        "pk", "args", "created_at", "sent_at", "attempts"))  # fmt: skip
    # The audit log names its submission by id (a foreign key before the core app).
    audit = {
        a["pk"]: a
        for a in AuditEntry.objects.filter(pk__in=[e["args"][0] for e in entries]).values(
            "pk", "action", "submission_id"
        )
    }
    addresses = dict(
        submissions.filter(pk__in=[a["submission_id"] for a in audit.values()]).values_list(
            "pk", "email"
        )
    )
    subjects = {"submitted": RECEIVED, "approved": APPROVED}

    rows = []
    details: list[str] = []
    failures: list[str] = []
    # A replay anywhere would show as a submission or an approval twice.
    approvable = list(load.submitted)
    twice = [
        f"submission {row['email']} x {row['n']}"
        for row in submissions.filter(email__startswith=f"rehearsal-{load.run_id}-")
        .values("email").annotate(n=Count("pk")).filter(n__gt=1)
    ] + [
        f"approval of {row['submission_id']} x {row['n']}"
        for row in AuditEntry.objects.filter(action="approved", submission_id__in=approvable)
        .values("submission_id").annotate(n=Count("pk")).filter(n__gt=1)
    ]  # fmt: skip
    if twice:
        failures.append("applied twice: " + ", ".join(twice))

    def times_applied(result: Result) -> int:
        if result.kind == "submit":
            return int(submissions.filter(email=result.subject).count())
        return int(
            AuditEntry.objects.filter(action="approved", submission_id=int(result.subject)).count()
        )

    for phase in rehearsal.phases:
        # A request belongs to the phase in which its client got the answer (or gave up).
        in_phase = [r for r in load.results if phase.start <= r.end < phase.end]
        cut = [r for r in in_phase if cut_off_by_kill(r, rehearsal.kills)]
        cut_ids = {id(r) for r in cut}
        applied = collections.Counter(times_applied(r) for r in cut)
        breakdown = collections.Counter(
            f"{r.kind} {r.status or r.error.partition(':')[0]}"
            + (" cut off by the kill, not replayed" if id(r) in cut_ids else "")
            for r in in_phase
            if r.status == 0 or r.status >= 400
        )
        details.append(f"- {phase.title}: " + (
            ", ".join(f"{n} x {what}" for what, n in breakdown.most_common()) or "no error"
        ) + (f" ({applied[1]} of the cut off applied once, {applied[0]} not applied)"
             if cut else "") + (f"; {phase.note}" if phase.note else ""))  # fmt: skip
        n5xx = sum(1 for r in in_phase if r.status >= 500 and id(r) not in cut_ids)
        no_answer = sum(1 for r in in_phase if r.status == 0 and id(r) not in cut_ids)
        other = sum(1 for r in in_phase if 400 <= r.status < 500)
        slowest = max((r.end - r.start for r in in_phase), default=0.0)
        errors_at = [r.end for r in in_phase if r.status == 0 or r.status >= 500]
        subs = [i for i, (at, _) in load.submitted.items() if phase.start <= at < phase.end]
        apps_ = [i for i, at in load.approved.items() if phase.start <= at < phase.end]
        lost_subs = [i for i in subs if i not in in_db]
        lost_apps = [i for i in apps_ if i not in approved_in_db]
        phase_entries = [e for e in entries
                         if phase.start <= e["created_at"].timestamp() < phase.end]  # fmt: skip
        once = dup = missing = 0
        for entry in phase_entries:
            audit_entry = audit.get(entry["args"][0])
            subject = subjects.get(audit_entry["action"]) if audit_entry else None
            email = addresses.get(audit_entry["submission_id"], "") if audit_entry else ""
            count = sent[(email, subject)] if subject else 0
            if entry["sent_at"] is None or count == 0:
                missing += 1
            elif count == 1:
                once += 1
            else:
                dup += 1
        peak = max_believers(events, phase.start, phase.end)
        samples = [s for s in rehearsal.sampler.samples if phase.start <= s[0] < phase.end]
        leaderless = 0.5 * sum(1 for s in samples if s[2] in ("none", "dead holder"))
        unreadable = 0.5 * sum(1 for s in samples if s[2].startswith("unknown"))
        phase_sweeps = [s for s in sweeps if phase.start <= s[0] < phase.end]
        double = sum(1 for a, b in itertools.pairwise(phase_sweeps) if b[0] - a[0] < 30)
        if phase.fault_at is None:
            recovered = "-"
        elif phase.back_at is None:
            recovered = "not recovered"
            failures.append(f"{phase.name}: did not recover within {RECOVERY_TIMEOUT:.0f} s")
        else:
            last = max([phase.back_at, *errors_at])
            recovered = f"{last - phase.fault_at:.1f} s"
        errors = n5xx + no_answer
        if phase.name in STRICT and errors:
            failures.append(f"{phase.name}: {n5xx} 5xx and {no_answer} unanswered (must be 0)")
        elif errors > MAX_5XX_RATIO * max(len(in_phase), 1):
            failures.append(
                f"{phase.name}: {errors} errors, over {MAX_5XX_RATIO:.0%} of {len(in_phase)}"
            )
        if phase.problem:
            failures.append(f"{phase.name}: {phase.problem}")
        if any(n > 1 for n in applied):
            failures.append(f"{phase.name}: a request cut off by the kill was applied twice")
        if lost_subs or lost_apps:
            failures.append(f"{phase.name}: lost submissions {lost_subs}, approvals {lost_apps}")
        if missing or dup:
            failures.append(f"{phase.name}: outbox {missing} not delivered, {dup} more than once")
        if peak > 1 or double:
            failures.append(f"{phase.name}: {peak} beat leaders at once, {double} double sweeps")
        rows.append(
            f"| {phase.title} | {len(in_phase)} | {n5xx} | {len(cut)} | {no_answer} | {other} | "
            f"{slowest:.1f} s | {recovered} | {len(subs)} / {len(subs) - len(lost_subs)} | "
            f"{len(apps_)} / {len(apps_) - len(lost_apps)} | "
            f"{once} of {len(phase_entries)}" + (f" ({dup} twice)" if dup else "") + " | "
            f"{peak} | {leaderless:.0f} s"
            + (f" (lease unreadable {unreadable:.0f} s)" if unreadable else "")
            + " |"
        )
    if drain_wait is None:
        failures.append(f"outbox not drained within {DRAIN_TIMEOUT:.0f} s")
    for proc in [*stack.app_procs, stack.redis, stack.haproxy]:
        if not proc.alive():
            failures.append(f"{proc.name} died (see {proc.logfile})")
    pending = OutboxEntry.objects.filter(sent_at__isnull=True).count()

    settings_line = (
        f"{RATE:g} requests/s (60% reads, 25% searches, 7.5% submissions, 7.5% approvals); "
        f"settle {SETTLE:g} s; PostgreSQL down {PG_DOWN:g} s; Redis down {REDIS_DOWN:g} s; "
        f"worker paused {PAUSE:g} s; lease {LEASE_SECONDS} s renewed every {RENEW_SECONDS} s; "
        f"DATABASE_POOL={POOL}; {WEB_WORKERS} gunicorn workers per replica; "
        f"total {time.time() - started:.0f} s"
    )
    table = "\n".join([
        "| fault | requests | 5xx | cut off by the kill, not replayed | no answer | 4xx | "
        "slowest | recovered after | "
        "submissions accepted / in DB | approvals accepted / in DB | "
        "outbox delivered exactly once | beat leaders at once (max) | time without a live leader |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])  # fmt: skip
    print()
    print(table)
    print()
    print(settings_line)
    print("\nErrors by phase (kind and status, or the exception when nothing answered):")
    print("\n".join(details))
    print(f"Outbox entries still pending: {pending}. Logs: {DIR}/logs")
    with (DIR / "requests.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(dataclasses.asdict(r)) + "\n" for r in load.results)
    (DIR / "table.md").write_text(
        f"{table}\n\n{settings_line}\n\n" + "\n".join(details) + "\n", encoding="utf-8"
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    print("rehearsal: " + ("FAILED" if failures else "every requirement met"))
    return 1 if failures else 0


def main() -> int:
    started = time.time()
    # On SIGTERM (or Ctrl-C) everything started here is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = Stack()
    try:
        stack.setup()
        os.environ.update(stack.env)
        os.environ["DATABASE_POOL"] = "false"  # this process: plain connections, per thread
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.contrib.auth.models import Group, User
        from rest_framework.authtoken.models import Token

        submitter = User.objects.create_user("rehearsal-submitter")
        moderator = User.objects.create_user("rehearsal-moderator")
        moderator.groups.add(Group.objects.get_or_create(name="moderator")[0])
        slugs = list(model("Story").objects.public().values_list("slug", flat=True)[:200])
        load = Load(Token.objects.create(user=submitter).key,
                    Token.objects.create(user=moderator).key, slugs)  # fmt: skip
        sampler = LeaseSampler(stack)
        sampler.start()
        log("waiting for a beat leader")
        if wait_for(lambda: sampler.holder_pid()[1] == "live", LEASE_SECONDS + 30) is None:
            raise SystemExit("no beat took the lease")
        rehearsal = Rehearsal(stack, load, sampler)
        threading.Thread(target=load.run, daemon=True).start()
        log(f"load: {RATE:g} requests/s through {LB}")
        rehearsal.baseline()
        titles = {
            "web": "SIGKILL one web replica (of 3)",
            "restart": "rolling restart of one web replica (drain, preStop, SIGTERM)",
            "beat": "SIGKILL the beat leader",
            "redis": f"Redis restart ({REDIS_DOWN:g} s down)",
            "postgres": f"PostgreSQL restart ({PG_DOWN:g} s down)",
            "worker": f"SIGSTOP one worker (of 2) for {PAUSE:g} s",
        }
        for name in FAULTS:
            rehearsal.phase(name, titles[name], getattr(rehearsal, name))
        load.stop.set()
        time.sleep(2)
        sampler.halt.set()
        return verify_and_report(rehearsal, started)
    finally:
        log("stopping everything")
        stack.shutdown()


if __name__ == "__main__":
    sys.exit(main())
