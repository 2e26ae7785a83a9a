"""Probes: /readyz is bounded when the broker is silent; /healthz and /readyz answer over
plain HTTP even when every other page redirects to HTTPS (the orchestrator probes in HTTP)."""

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)  # handshakes complete, nothing ever answers
        yield int(sock.getsockname()[1])


def test_readyz_with_a_silent_broker_answers_503_in_time(
    client: Client, settings: Any, silent_port: int
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    # Within the compose health check's 3 s: one retry 2 s after a short first attempt.
    assert time.monotonic() - started < 3
