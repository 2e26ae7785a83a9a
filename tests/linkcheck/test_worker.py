"""A real Celery worker on the real Redis broker, with the database shared between
processes. The story import enqueues a link check for each new source; with the broker
down the import still succeeds and the outbox sweeper sends the work once it is back."""

import json
import queue
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_FIXTURES
from tests.linkcheck.conftest import BASE, manage

pytestmark = pytest.mark.django_db
BROKER = "redis://127.0.0.1:6379/13"
DEAD_BROKER = "redis://127.0.0.1:1/0"

STORY = """---
title: {title}
organization: Example Corp
date: 2020
sources:
  - url: {url}
    kind: blog-post
components: [dns]
verified: listing
---
A story served by a local test server.
"""


@pytest.fixture
def redis_broker() -> str:
    try:
        import redis

        client = redis.Redis.from_url(BROKER, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # any failure: no broker to test against
        pytest.skip(f"Redis is not reachable at {BROKER}: {exc}")
    return BROKER


@pytest.fixture
def job_env(shared_database: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Each test has its own queue keys: another worker on this Redis database (a
    concurrent run of the suite) would otherwise take its tasks."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(REPO_FIXTURES / "taxonomy", fixtures / "taxonomy")
    (fixtures / "mitigations").mkdir()
    (fixtures / "stories").mkdir()
    return {
        **shared_database,
        "STORIES_FIXTURES_DIR": str(fixtures),
        "LINKCHECK_ENABLED": "1",
        "LINKCHECK_ALLOW_LOOPBACK": "1",
        "CELERY_KEY_PREFIX": f"kfs-test-{uuid.uuid4().hex[:12]}:",
    }


class Worker:
    """A running worker whose output is read all along (a full pipe would stall it)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.put(line)

    def log(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return "".join(self.seen)


@pytest.fixture
def worker(job_env: dict[str, str], redis_broker: str) -> Iterator[Worker]:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
            "--without-mingle", "--without-gossip", "--loglevel", "INFO",
        ],
        cwd=BASE,
        env={**job_env, "CELERY_BROKER_URL": redis_broker},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if "ready." in line:
            break
        if process.poll() is not None:
            pytest.fail("the worker exited before it was ready")
    else:
        process.kill()
        pytest.fail("the worker did not become ready")
    yield Worker(process)
    process.terminate()
    process.wait(timeout=20)
    import redis

    client = redis.Redis.from_url(redis_broker)
    keys = list(client.scan_iter(match=f"{job_env['CELERY_KEY_PREFIX']}*"))
    if keys:
        client.delete(*keys)


def write_story(env: dict[str, str], slug: str, url: str) -> None:
    path = Path(env["STORIES_FIXTURES_DIR"]) / "stories" / f"{slug}.md"
    path.write_text(STORY.format(title=slug.replace("-", " "), url=url), encoding="utf-8")


def state(env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json; from apps.catalog.models import Source; from apps.core.models import "
        "OutboxEntry as O; print(json.dumps({'sources': {s.url: s.last_status_code for s in "
        "Source.objects.all()}, 'pending': O.objects.pending().count(), 'sent': "
        "O.objects.filter(sent_at__isnull=False).count()}))"
    )
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_for(
    env: dict[str, str], url: str, worker: Worker, seconds: float = 45
) -> dict[str, object]:
    deadline = time.time() + seconds
    while time.time() < deadline:
        current = state(env)
        if current["sources"].get(url) == 200:  # type: ignore[union-attr]
            return current
        time.sleep(0.5)
    pytest.fail(f"the worker never checked {url}: {state(env)}\nworker log:\n{worker.log()}")


def test_import_enqueues_and_the_worker_checks(
    worker: Worker, job_env: dict[str, str], local_site: str
) -> None:
    url = f"{local_site}/first-post"
    write_story(job_env, "2020-example-corp-first", url)
    result = manage("import_stories", env={**job_env, "CELERY_BROKER_URL": BROKER})
    assert result.returncode == 0, result.stderr
    final = wait_for(job_env, url, worker)
    assert final["pending"] == 0 and final["sent"] == 1


def test_broker_down_loses_nothing(
    worker: Worker, job_env: dict[str, str], local_site: str
) -> None:
    url = f"{local_site}/second-post"
    write_story(job_env, "2020-example-corp-second", url)
    started = time.time()
    result = manage("import_stories", env={**job_env, "CELERY_BROKER_URL": DEAD_BROKER})
    assert result.returncode == 0, result.stderr  # the change itself succeeds
    assert time.time() - started < 30
    down = state(job_env)
    assert down["pending"] == 1
    assert down["sources"][url] is None  # type: ignore[index]

    sweep = manage(
        "shell",
        "-c",
        "from apps.core.outbox import sweep; print(sweep(older_than_seconds=0))",
        env={**job_env, "CELERY_BROKER_URL": BROKER},
    )
    assert sweep.stdout.strip().splitlines()[-1] == "1", sweep.stderr
    final = wait_for(job_env, url, worker)
    assert final["pending"] == 0


SUBMIT = """
from apps.submissions.services import submission_create
submission = submission_create(
    payload={
        "title": "A submitted story", "organization": "Example Corp", "date": "2021",
        "sources": [{"url": "https://example.org/submitted", "kind": "blog-post"}],
        "components": ["dns"], "summary": "What happened.",
    },
    email="reader@example.org",
)
print(submission.get_tracking_url())
"""


def test_submission_email_goes_out_through_the_worker(
    worker: Worker, job_env: dict[str, str]
) -> None:
    """The email is enqueued on commit and sent by the worker (console backend: its log)."""
    assert manage("import_stories", env=job_env).returncode == 0  # the taxonomy
    result = manage("shell", "-c", SUBMIT, env={**job_env, "CELERY_BROKER_URL": BROKER})
    assert result.returncode == 0, result.stderr
    tracking_url = result.stdout.strip().splitlines()[-1]
    deadline = time.time() + 45
    while time.time() < deadline and tracking_url not in worker.log():
        time.sleep(0.5)
    output = worker.log()
    assert "Subject: [Kubernetes Failure Stories] We received your submission" in output, output
    assert "To: reader@example.org" in output
    assert tracking_url in output
