"""The scheduler lease: in one process, and between real processes."""

import datetime
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.lease import lease_acquire_or_renew, lease_holder, lease_release
from apps.core.models import SchedulerLease
from tests.linkcheck.conftest import BASE

pytestmark = pytest.mark.django_db
SECOND = datetime.timedelta(seconds=1)


def test_first_contender_wins_and_second_waits() -> None:
    assert lease_acquire_or_renew(name="beat", holder="a", duration=30 * SECOND)
    assert not lease_acquire_or_renew(name="beat", holder="b", duration=30 * SECOND)
    assert lease_acquire_or_renew(name="beat", holder="a", duration=30 * SECOND)
    assert lease_holder("beat").holder == "a"


def test_a_standby_waits_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """A lease held by another is the standby's normal state: no INSERT for the database
    to refuse (PostgreSQL logged a duplicate key every renewal) and nothing logged."""
    assert lease_acquire_or_renew(name="beat", holder="a", duration=30 * SECOND)
    with CaptureQueriesContext(connection) as queries, caplog.at_level(logging.DEBUG):
        for _ in range(3):
            assert not lease_acquire_or_renew(name="beat", holder="b", duration=30 * SECOND)
    statements = [query["sql"].lstrip().split()[0].upper() for query in queries]
    assert "INSERT" not in statements, statements
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
    assert lease_holder("beat").holder == "a"


def test_two_first_claims_at_once_make_one_leader_and_no_error() -> None:
    """Both contenders found no row (beats started together): one INSERT goes in, the
    other is skipped without the duplicate-key error PostgreSQL would log."""
    from apps.core.lease import _claim_first

    now = timezone.now()
    assert _claim_first(name="beat", holder="a", now=now, duration=30 * SECOND)
    with CaptureQueriesContext(connection) as queries:
        assert not _claim_first(name="beat", holder="b", now=now, duration=30 * SECOND)
    insert = next(q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT"))
    assert "ON CONFLICT" in insert.upper() or "OR IGNORE" in insert.upper(), insert
    assert list(SchedulerLease.objects.values_list("holder", "transitions")) == [("a", 1)]
    assert not lease_acquire_or_renew(name="beat", holder="b", duration=30 * SECOND)


def test_takeover_only_after_expiry_and_fencing_token_rises() -> None:
    assert lease_acquire_or_renew(name="beat", holder="a", duration=30 * SECOND)
    first = SchedulerLease.objects.get(name="beat").transitions
    SchedulerLease.objects.filter(name="beat").update(expires_at=timezone.now() - SECOND)
    assert lease_acquire_or_renew(name="beat", holder="b", duration=30 * SECOND)
    lease = SchedulerLease.objects.get(name="beat")
    assert (lease.holder, lease.transitions) == ("b", first + 1)
    assert not lease_acquire_or_renew(name="beat", holder="a", duration=30 * SECOND)


def test_release_lets_a_standby_in_at_once() -> None:
    assert lease_acquire_or_renew(name="beat", holder="a", duration=30 * SECOND)
    lease_release(name="beat", holder="a")
    assert lease_holder("beat") is None
    assert lease_acquire_or_renew(name="beat", holder="b", duration=30 * SECOND)


def test_scheduler_dispatches_only_as_leader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from celery import current_app

    from apps.core.beat import LeaderScheduler

    dispatched: list[str] = []
    # Beat refreshes its connection each time; here the test's transaction must stay open.
    monkeypatch.setattr("apps.core.beat.close_old_connections", lambda: None)
    monkeypatch.setattr(
        "celery.beat.PersistentScheduler.tick",
        lambda self, *a, **k: dispatched.append(self.holder) or 1.0,
    )
    first = LeaderScheduler(app=current_app, schedule_filename=str(tmp_path / "a"))
    second = LeaderScheduler(app=current_app, schedule_filename=str(tmp_path / "b"))
    first.tick()
    second.tick()
    assert dispatched == [first.holder]
    assert (first.is_leader, second.is_leader) == (True, False)
    first.close()
    second._next_attempt = 0
    second.tick()
    assert dispatched == [first.holder, second.holder]
    second.close()


def _contender(env: dict[str, str], holder: str, run_for: float) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable, "manage.py", "lease_contender", "--holder", holder,
            "--duration", "2", "--renew", "0.25", "--run-for", str(run_for),
        ],
        cwd=BASE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _leader_times(output: str) -> list[float]:
    return [float(line.split()[0]) for line in output.splitlines() if line.endswith(" leader")]


def test_two_processes_exactly_one_leader_and_takeover_after_expiry(
    shared_database: dict[str, str],
) -> None:
    first = _contender(shared_database, "first", run_for=30)
    deadline = time.time() + 20
    while time.time() < deadline:
        line = first.stdout.readline()  # type: ignore[union-attr]
        if line.endswith("leader\n"):
            break
    else:
        pytest.fail("the first contender never became leader")
    second = _contender(shared_database, "second", run_for=12)
    time.sleep(3)
    first.kill()  # no clean release: the lease must expire
    killed_at = time.time()
    first_out = first.stdout.read()  # type: ignore[union-attr]
    second_out, second_err = second.communicate(timeout=30)
    first_leader = [t for t in _leader_times(first_out) if t <= killed_at]
    second_leader = _leader_times(second_out)
    assert second_leader, second_err
    # The standby waited for the lease to run out (2 s) after the last renewal it saw.
    assert second_leader[0] >= killed_at + 1.0
    # Never both: every leader moment of the second is after the first's last one.
    assert not first_leader or min(second_leader) > max(first_leader)
    assert "standby" in second_out
    assert settings.SCHEDULER_RENEW_SECONDS < settings.SCHEDULER_LEASE_SECONDS


def _holder(env: dict[str, str]) -> str:
    code = (
        "from apps.core.lease import lease_holder; "
        "lease = lease_holder('celery-beat'); print(lease.holder if lease else '-')"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "-"


def _beat(env: dict[str, str], tmp: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(tmp / f"{name}-schedule"),
        ],
        cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def _wait_for_holder(env: dict[str, str], pid: int, seconds: float) -> float:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if f":{pid}:" in _holder(env):
            return time.time()
        time.sleep(0.3)
    pytest.fail(f"process {pid} never took the lease (holder: {_holder(env)})")


def test_two_celery_beats_one_leader_and_failover(
    shared_database: dict[str, str], tmp_path: Path
) -> None:
    """Two real `celery beat` processes with the LeaderScheduler: one holds the lease,
    the other takes over only after the first is killed and its lease runs out."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/12", socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure: no broker to test against
        pytest.skip(f"Redis is not reachable: {exc}")
    env = {
        **shared_database,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
        "SCHEDULER_LEASE_SECONDS": "4",
        "SCHEDULER_RENEW_SECONDS": "1",
    }
    first = _beat(env, tmp_path, "first")
    second = None
    try:
        _wait_for_holder(env, first.pid, 40)
        second = _beat(env, tmp_path, "second")
        time.sleep(5)  # the second beat has tried several times by now
        assert f":{first.pid}:" in _holder(env)
        first.kill()  # no clean release: the lease must run out
        killed = time.time()
        taken = _wait_for_holder(env, second.pid, 40)
        assert taken - killed >= 1.0  # it waited for the expiry
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
