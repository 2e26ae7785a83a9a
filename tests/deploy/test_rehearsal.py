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
            servers="  server web1 127.0.0.1:1 maxconn 2 check inter 5s fall 2 rise 1",
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
