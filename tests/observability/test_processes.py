"""Real processes: a Celery worker on Redis logs the publishing request's ID, and gunicorn
workers that come and go add up in one /metrics (prometheus-client's multiprocess mode)."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.linkcheck.conftest import BASE, manage
from tests.linkcheck.test_worker import Worker, redis_broker, worker  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
BROKER = "redis://127.0.0.1:6379/13"

PUBLISH = """
from apps.observability.context import request_id
from apps.linkcheck.tasks import check_source
request_id.set("req-worker-7f3a")
check_source.apply_async(args=[515151], retry=False)
"""


@pytest.fixture
def worker_metrics_port() -> int:
    return _free_port()


@pytest.fixture
def job_env(shared_database: dict[str, str], worker_metrics_port: int) -> dict[str, str]:
    """The worker (tests.linkcheck.test_worker's fixture) logs JSON, with link checks off,
    and serves its metrics on a port of its own."""
    return {
        **shared_database,
        "LOG_FORMAT": "json",
        "LINKCHECK_ENABLED": "0",
        "CELERY_METRICS_PORT": str(worker_metrics_port),
        "CELERY_KEY_PREFIX": f"kfs-test-{uuid.uuid4().hex[:12]}:",
    }


def test_a_worker_logs_the_request_id_of_the_publisher_and_counts_the_task(
    worker: Worker,  # noqa: F811
    job_env: dict[str, str],
    worker_metrics_port: int,
) -> None:
    result = manage("shell", "-c", PUBLISH, env={**job_env, "CELERY_BROKER_URL": BROKER})
    assert result.returncode == 0, result.stderr
    deadline = time.time() + 45
    while time.time() < deadline and "515151" not in worker.log():
        time.sleep(0.3)
    lines = [line for line in worker.log().splitlines() if "515151" in line]
    assert lines, worker.log()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    skipped = [entry for entry in entries if "skipped" in entry["message"]]
    assert skipped, lines
    assert skipped[0]["request_id"] == "req-worker-7f3a"
    assert skipped[0]["task_name"] == "apps.linkcheck.tasks.check_source"
    assert skipped[0]["logger"] == "apps.linkcheck.tasks"
    counted = (
        'kfs_celery_tasks_total{outcome="succeeded",task="apps.linkcheck.tasks.check_source"} 1.0'
    )
    deadline = time.time() + 10  # the count follows the task's last log line
    while counted not in (text := _get(f"http://127.0.0.1:{worker_metrics_port}/metrics").decode()):
        assert time.time() < deadline, text
        time.sleep(0.2)


def _free_port() -> int:
    for port in range(8820, 8830):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 8820-8829")


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Host": "127.0.0.1"})  # noqa: S310
    # Generous: with --max-requests both workers may be starting again at once, which takes
    # seconds on a loaded machine.
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return bytes(response.read())


def test_gunicorn_workers_add_up_even_after_they_exit(
    shared_database: dict[str, str], tmp_path: Path
) -> None:
    """Two workers, each replaced after 5 requests: 30 requests are all counted, by whichever
    worker answers the scrape."""
    port = _free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {
        **shared_database,
        "METRICS_ENABLED": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--max-requests", "5",
        ],
        cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail(f"gunicorn did not start: {server.stderr.read()}")  # type: ignore[union-attr]
                time.sleep(0.2)
        for _ in range(29):
            _get(f"{base}/healthz")
        text = _get(f"{base}/metrics").decode()
    finally:
        server.terminate()
        server.wait(timeout=20)
    samples = [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "kfs_http_responses_total" and sample.labels["view"] == "healthz"
    ]
    assert sum(sample.value for sample in samples) == 30
    assert len(list(metrics_dir.glob("counter_*.db"))) > 2  # workers were replaced
