"""deploy/rehearsal.py: the load balancer's configuration is valid, and the bookkeeping that
decides pass or fail (leaders at once, emails delivered) counts what it should. The
rehearsal itself is `make rehearsal` (minutes, and its own servers)."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings


def load_rehearsal() -> ModuleType:
    path = Path(settings.BASE_DIR) / "deploy" / "rehearsal.py"
    spec = importlib.util.spec_from_file_location("rehearsal", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


rehearsal = load_rehearsal()


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_the_load_balancer_configuration_is_valid(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        rehearsal.HAPROXY_CFG.format(
            lb="127.0.0.1:9",
            sock=tmp_path / "haproxy.sock",
            host="127.0.0.1",
            timeout=3,
            servers=rehearsal.HAPROXY_SERVER.format(
                index=1, host="127.0.0.1", port=1, maxconn=2, check="check inter 5s fall 2 rise 1"
            ),
        )
    )
    result = subprocess.run(  # noqa: S603
        ["haproxy", "-c", "-f", str(config)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_leaders_at_once_counts_overlapping_beliefs() -> None:
    # beat1 leads 0-10, beat2 10-20: never two. Then both 25-30 and 28-35: two at once.
    events = [(0.0, 1), (10.0, -1), (10.0, 1), (20.0, -1), (25.0, 1), (28.0, 1), (30.0, -1)]
    events += [(35.0, -1)]
    events.sort(key=lambda e: (e[0], e[1]))
    assert rehearsal.max_believers(events, 0, 22) == 1
    assert rehearsal.max_believers(events, 5, 15) == 1
    assert rehearsal.max_believers(events, 22, 40) == 2
    assert rehearsal.max_believers(events, 29, 31) == 2  # already two when the window opens


def test_a_killed_leader_stops_believing_when_it_dies(tmp_path: Path) -> None:
    def line(t: str, message: str) -> str:
        return json.dumps({"time": f"2026-12-01T10:00:{t}+00:00", "message": message})

    stack = rehearsal.Stack.__new__(rehearsal.Stack)
    beats = []
    for name, lines in (
        ("beat1", [line("00.000", "scheduler lease: a is leader")]),
        (
            "beat2",
            [
                line("05.000", "scheduler lease: b is standby"),
                line("40.000", "scheduler lease: b is leader"),
            ],
        ),
    ):
        proc = rehearsal.Proc(name, [], {})
        beats.append(proc)
        (tmp_path / "logs").mkdir(exist_ok=True)
        (tmp_path / "logs" / f"{name}.log").write_text("\n".join(lines) + "\n")
    stack.beats = beats
    rehearsal.DIR = tmp_path
    killed = rehearsal.datetime.datetime.fromisoformat("2026-12-01T10:00:20+00:00").timestamp()
    events = rehearsal.leader_beliefs(stack, {"beat1": [killed]})
    start = killed - 20
    assert events[0] == (start, 1) and (killed, -1) in events
    assert rehearsal.max_believers(events, start, start + 60) == 1


def test_emails_are_counted_per_recipient_and_subject(tmp_path: Path) -> None:
    def email(to: str, subject: str) -> str:
        message = f"Content-Type: text/plain\nSubject: {subject}\nTo: {to}\n\nBody: not a header"
        return json.dumps({"time": "2026-12-01T10:00:00+00:00", "message": message})

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "worker1.log").write_text(
        "\n".join(
            [
                email("a@x.org", rehearsal.RECEIVED),
                email("a@x.org", rehearsal.APPROVED),
                "a plain line",
                email("a@x.org", rehearsal.RECEIVED),
            ]
        )
        + "\n"
    )
    (tmp_path / "logs" / "worker2.log").write_text(email("b@x.org", rehearsal.RECEIVED) + "\n")
    rehearsal.DIR = tmp_path
    stack = rehearsal.Stack.__new__(rehearsal.Stack)
    stack.workers = [rehearsal.Proc("worker1", [], {}), rehearsal.Proc("worker2", [], {})]
    sent = rehearsal.emails(stack)
    assert sent[("a@x.org", rehearsal.RECEIVED)] == 2  # delivered twice: counted twice
    assert sent[("a@x.org", rehearsal.APPROVED)] == 1
    assert sent[("b@x.org", rehearsal.RECEIVED)] == 1
    assert sum(sent.values()) == 4


def test_the_load_balancer_checks_replicas_as_the_readiness_probe_does() -> None:
    import yaml

    documents = yaml.safe_load_all(
        (Path(settings.BASE_DIR) / "deploy/kubernetes/base/web.yaml").read_text("utf-8")
    )
    deployment = next(d for d in documents if d and d["kind"] == "Deployment")
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    check, timeout = rehearsal.readiness_check()
    assert check == (
        f"check inter {probe['periodSeconds']}s fall {probe['failureThreshold']} rise 1"
    )
    assert timeout == probe["timeoutSeconds"]
    assert "uri /readyz" in rehearsal.HAPROXY_CFG


KILL = (100.0, 100.2)  # SIGKILL sent at 100.0, no process of the replica left at 100.2
CLOSED = (
    "ProtocolError: ('Connection aborted.', "
    "RemoteDisconnected('Remote end closed connection without response'))"
)
RESET = "ProtocolError: ('Connection aborted.', ConnectionResetError(104, 'reset by peer'))"
TIMEOUT = "ReadTimeoutError: HTTPConnectionPool(host='127.0.0.1', port=9100): Read timed out."


@pytest.mark.parametrize(
    ("method", "status", "error", "start", "end", "expected"),
    [
        ("POST", 502, "", 99.0, 100.1, True),  # under way when the signal went
        ("POST", 502, "", 100.1, 100.3, True),  # began while the replica was dying
        ("POST", 502, "", 100.2, 100.5, True),  # the bounds count
        ("POST", 0, CLOSED, 99.0, 101.0, True),  # not the first request on its connection
        ("POST", 0, RESET, 99.0, 101.0, True),
        ("POST", 502, "", 98.0, 99.9, False),  # over before the kill
        ("POST", 502, "", 100.3, 101.0, False),  # began once the replica was gone
        ("POST", 0, CLOSED, 100.3, 101.0, False),
        ("POST", 503, "", 99.0, 101.0, False),  # reached no replica: it should have had another
        ("POST", 500, "", 99.0, 101.0, False),  # the application's error, not the cut
        ("POST", 504, "", 99.0, 101.0, False),
        ("POST", 0, TIMEOUT, 99.0, 101.0, False),  # waited out, not cut off
        ("POST", 201, "", 99.0, 101.0, False),
        ("GET", 502, "", 99.0, 101.0, False),  # a GET is sent again, so it never gets a 5xx
        ("GET", 0, CLOSED, 99.0, 101.0, False),
        ("HEAD", 502, "", 99.0, 101.0, False),
        ("PUT", 502, "", 99.0, 101.0, True),  # not replayed either
    ],
)
def test_a_request_is_cut_off_by_a_kill_only_when_it_is_not_replayed_and_spans_it(
    method: str, status: int, error: str, start: float, end: float, expected: bool
) -> None:
    result = rehearsal.Result(start, end, "submit", method, status, error, "a@x.org")
    assert rehearsal.cut_off_by_kill(result, [KILL]) is expected


def test_any_of_several_kills_may_cut_a_request_off_and_none_without_a_kill() -> None:
    result = rehearsal.Result(200.0, 200.5, "approve", "POST", 502, subject="7")
    assert rehearsal.cut_off_by_kill(result, [KILL, (200.4, 200.6)])
    assert not rehearsal.cut_off_by_kill(result, [KILL])
    assert not rehearsal.cut_off_by_kill(result, [])


def test_the_methods_counted_as_replayed_are_those_the_load_balancer_replays() -> None:
    assert "disable-l7-retry unless METH_GET || METH_HEAD" in rehearsal.HAPROXY_CFG
    assert {"GET", "HEAD"} == rehearsal.REPLAYED_METHODS


def test_the_rolling_restart_waits_as_the_web_pods_do() -> None:
    prestop, grace = rehearsal.termination()
    assert prestop == 5
    stack = rehearsal.Stack.__new__(rehearsal.Stack)
    stack.env = {}
    argv = stack._web(1, 9101).argv
    graceful = float(argv[argv.index("--graceful-timeout") + 1])
    manifest = (Path(settings.BASE_DIR) / "deploy/kubernetes/base/web.yaml").read_text("utf-8")
    assert f"--graceful-timeout {graceful:g}" in manifest  # the replicas stop as the pods do
    assert prestop + graceful < grace  # so SIGKILL never cuts a request being answered


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_process_group_is_gone_once_no_process_of_it_runs() -> None:
    child = subprocess.Popen(["sleep", "30"], start_new_session=True)  # noqa: S607
    try:
        assert rehearsal.group_running(child.pid)
    finally:
        child.kill()
        child.wait(5)
    assert not rehearsal.group_running(child.pid)
