"""Stored catalogue counts are refreshed outside the request when a worker is there to do
it, and writers never wait for each other or for a refresh."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError

from apps.catalog import tasks
from apps.catalog.models import CatalogueChange, Story
from apps.catalog.refresh import QUEUED_KEY, refresh_aggregates
from tests.factories import ComponentFactory, StoryFactory


def _home_count(client: Client) -> int:
    return int(client.get("/").context["story_count"])


@pytest.fixture
def queued(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[None]]:
    """A broker stands in at the network edge: queued refreshes are recorded, not run."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls: list[None] = []
    monkeypatch.setattr(
        tasks.refresh_catalogue_aggregates,
        "apply_async",
        lambda *args, **kwargs: calls.append(None),
    )
    cache.clear()
    yield calls
    cache.clear()


@pytest.mark.django_db
def test_with_a_worker_readers_get_stored_counts_and_queue_one_refresh(
    client: Client, queued: list[None]
) -> None:
    dns = ComponentFactory(slug="dns")
    StoryFactory(components=[dns])
    refresh_aggregates()  # what the worker does
    assert _home_count(client) == 1
    with CaptureQueriesContext(connection) as fresh:
        client.get("/components/")
    assert queued == []

    StoryFactory(components=[dns])
    with CaptureQueriesContext(connection) as pending:
        client.get("/components/")
    # Nothing was recomputed in the request: the stored counts are served as they are.
    assert len(pending) == len(fresh)
    assert _home_count(client) == 1
    assert len(queued) == 1  # one task for any number of readers

    refresh_aggregates()
    assert not CatalogueChange.objects.exists()
    assert _home_count(client) == 2
    assert client.get("/components/dns/").context["paginator"].count == 2
    assert len(queued) == 1


@pytest.mark.django_db
def test_with_the_broker_down_readers_get_stored_counts(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kombu raises its OperationalError, not an OSError, when the broker refuses the
    connection: the first page read after a write answered 500 on each worker, once a
    minute. The publish does not retry, and readers after it do not try again at once."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    attempts: list[dict[str, Any]] = []

    def refused(*args: Any, **kwargs: Any) -> None:
        attempts.append(kwargs)
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.refresh_catalogue_aggregates, "apply_async", refused)
    cache.clear()
    StoryFactory()
    refresh_aggregates()
    StoryFactory()
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["story_count"] == 1  # as of the stored version
    assert attempts == [{"retry": False}]
    assert client.get("/api/v1/stories/").status_code == 200
    assert len(attempts) == 1
    cache.delete(QUEUED_KEY)  # as when it expires
    assert client.get("/stories/").status_code == 200
    assert len(attempts) == 2
    cache.clear()


@pytest.mark.django_db
def test_a_refresh_with_nothing_logged_changes_nothing() -> None:
    StoryFactory()
    version = refresh_aggregates()
    assert refresh_aggregates() == version


def _in_thread(action: Any) -> Any:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(action())
        except BaseException as exc:  # shown by the caller's assertion
            result.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return result[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_and_refreshes_do_not_wait_for_a_write_in_flight() -> None:
    """An open transaction that wrote a story holds no lock another writer or a refresh
    needs; its write is counted by the refresh after it commits."""
    dns = ComponentFactory(slug="dns")
    StoryFactory(components=[dns])
    refresh_aggregates()
    in_flight = threading.Event()
    release = threading.Event()

    def slow_writer() -> None:
        with transaction.atomic():
            StoryFactory(components=[dns], slug="slow")
            in_flight.set()
            assert release.wait(timeout=30)

    def quick_writer() -> str:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            story = StoryFactory(components=[dns], slug="quick")
            Story.objects.filter(pk=story.pk).update(status=Story.Status.PUBLISHED)
        return "written"

    def refresh() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        return refresh_aggregates()

    writer = threading.Thread(target=lambda: (slow_writer(), connection.close()))
    writer.start()
    try:
        assert in_flight.wait(timeout=30)
        assert _in_thread(quick_writer) == "written"
        assert isinstance(_in_thread(refresh), int)
    finally:
        release.set()
        writer.join(timeout=30)
    client = Client()
    # The refresh above could not see the slow story; its change row was left for the
    # next one, which the reader runs (tasks are eager here).
    assert CatalogueChange.objects.exists()
    assert _home_count(client) == 3
