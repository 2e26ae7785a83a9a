"""Every task that touches the database retries an outage instead of dropping its work
(apps/core/retries.py): a database error injected into each one's first run."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from celery import current_app
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

from apps.catalog import tasks as catalog_tasks
from apps.catalog.models import Source
from apps.core.retries import DATABASE_OUTAGE
from apps.linkcheck import tasks as linkcheck_tasks
from apps.submissions import tasks as submissions_tasks

pytestmark = pytest.mark.django_db

# Tasks that may give up on a database error, and why nothing is lost when they do.
MAY_DROP = {
    # Beat sends the next sweep within seconds, and a retried sweep running beside it
    # could publish one entry twice.
    "apps.core.tasks.sweep_outbox": "the next sweep",
    # Reads no database (the generation is in the cache); it retries Varnish out of reach.
    "apps.core.tasks.ban_shared_cache": "it touches no database",
}


class Flaky:
    """Stands in for what a task calls: fails with `error` once, then answers `result`."""

    def __init__(self, error: Exception, result: Any) -> None:
        self.error, self.result, self.calls = error, result, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise self.error
        return self.result


@dataclass
class Case:
    task: Any
    owner: Any  # the object whose attribute the task calls
    attribute: str
    args: list[Any]
    setting: str  # the setting it needs on, if any
    answer: Any  # what the stand-in answers once the database is back
    returns: Any  # what the task then returns


CASES = [
    Case(
        catalog_tasks.refresh_catalogue_aggregates,
        catalog_tasks,
        "refresh_aggregates",
        [],
        "",
        3,
        3,
    ),
    Case(
        linkcheck_tasks.check_source,
        linkcheck_tasks.health,
        "check_source",
        [7],
        "LINKCHECK_ENABLED",
        None,
        None,
    ),
    Case(
        linkcheck_tasks.check_all_sources,
        Source.objects,
        "public",
        [],
        "LINKCHECK_ENABLED",
        Source.objects.none(),
        0,
    ),
    Case(
        linkcheck_tasks.sync_upstream_issue,
        linkcheck_tasks.upstream,
        "sync_issue",
        [7],
        "UPSTREAM_SYNC_ENABLED",
        None,
        None,
    ),
    Case(
        linkcheck_tasks.sync_all_upstream,
        linkcheck_tasks.upstream,
        "sync_issues",
        [],
        "UPSTREAM_SYNC_ENABLED",
        Counter(ok=2),
        {"ok": 2},
    ),
    Case(
        submissions_tasks.notify_submitter,
        submissions_tasks.notifications,
        "send_notification",
        [7],
        "",
        True,
        True,
    ),
]


@pytest.mark.parametrize(
    "error",
    [OperationalError("server closed the connection"), InterfaceError("connection closed")],
    ids=["operational", "interface"],
)
@pytest.mark.parametrize("case", CASES, ids=[c.task.name.rsplit(".", 1)[-1] for c in CASES])
def test_a_database_outage_is_retried(
    monkeypatch: pytest.MonkeyPatch, settings: Any, case: Case, error: Exception
) -> None:
    if case.setting:
        setattr(settings, case.setting, True)
    flaky = Flaky(error, case.answer)
    monkeypatch.setattr(case.owner, case.attribute, flaky)
    # throw=False: apply() then runs the retry at once, as a worker would after the backoff.
    outcome = case.task.apply(args=case.args, throw=False)
    assert flaky.calls == 2, outcome.traceback
    assert outcome.successful(), outcome.traceback
    assert outcome.get() == case.returns


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    flaky = Flaky(ValueError("a bug, not an outage"), 3)
    monkeypatch.setattr(catalog_tasks, "refresh_aggregates", flaky)
    outcome = catalog_tasks.refresh_catalogue_aggregates.apply(throw=False)
    assert flaky.calls == 1
    assert isinstance(outcome.result, ValueError)


def test_a_lasting_outage_is_retried_ten_times_over_at_most_17_minutes() -> None:
    for task in {case.task for case in CASES} - {linkcheck_tasks.sync_upstream_issue}:
        assert (task.max_retries, task.retry_backoff, task.acks_late) == (10, True, True)
        waits = [
            get_exponential_backoff_interval(
                factor=1, retries=n, maximum=task.retry_backoff_max, full_jitter=False
            )
            for n in range(task.max_retries)
        ]
        assert sum(waits) == 1023, task.name  # 17 minutes
    # A rate-limited issue waits a whole window per retry, so it keeps its five.
    assert linkcheck_tasks.sync_upstream_issue.max_retries == 5


def test_every_task_of_the_project_retries_a_database_outage() -> None:
    current_app.loader.import_default_modules()
    names = sorted(name for name in current_app.tasks if name.startswith("apps."))
    assert "apps.linkcheck.tasks.sync_all_upstream" in names
    without = [
        name
        for name in names
        if name not in MAY_DROP
        and not set(DATABASE_OUTAGE) <= set(getattr(current_app.tasks[name], "autoretry_for", ()))
    ]
    assert without == [], (
        "retry a database outage (apps/core/retries.py) or say in MAY_DROP why not"
    )
