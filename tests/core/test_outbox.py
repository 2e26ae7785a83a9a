import pytest
from celery import current_app
from django.db import transaction
from django.test import Client

from apps.core import outbox
from apps.core.models import OutboxEntry
from apps.core.tasks import sweep_outbox
from apps.linkcheck.tasks import check_source

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dead_broker():  # type: ignore[no-untyped-def]
    """Celery pointed at a port where nothing listens, with eager mode off."""
    conf = current_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:1/0", False
    current_app._pool = None  # connections are made from the URL set just above
    yield
    conf.broker_url, conf.task_always_eager = saved
    current_app._pool = None


def test_entries_are_sent_after_commit_only() -> None:
    with transaction.atomic():
        entry = outbox.enqueue(check_source, 123)
        assert OutboxEntry.objects.get(pk=entry.pk).sent_at is None
    assert OutboxEntry.objects.get(pk=entry.pk).sent_at is not None


def test_rolled_back_work_is_never_sent() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(check_source, 1)
        raise RuntimeError("the change failed")
    assert OutboxEntry.objects.count() == 0


def test_broker_down_keeps_the_work_and_the_sweeper_sends_it(dead_broker) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        entry = outbox.enqueue(check_source, 7)
    pending = OutboxEntry.objects.get(pk=entry.pk)
    assert pending.sent_at is None
    assert pending.attempts == 1
    assert "Error" in pending.last_error
    assert outbox.sweep(older_than_seconds=0) == 0
    assert OutboxEntry.objects.get(pk=entry.pk).attempts == 2

    current_app.conf.task_always_eager = True  # the broker is back (in-process here)
    assert outbox.sweep(older_than_seconds=0) == 1
    assert sweep_outbox.apply().get() == 0  # nothing left
    sent = OutboxEntry.objects.get(pk=entry.pk)
    assert sent.sent_at is not None and sent.last_error == ""


def test_health_endpoints(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "not configured"}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["broker"].startswith("error")
