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
    # One attempt bounded by REDIS_TIMEOUT_MS, well within the compose health check's 3 s.
    assert time.monotonic() - started < 1.5


def test_probes_answer_over_http_while_pages_redirect_to_https(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # SecurityMiddleware reads its settings when the client first loads it
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    for path in ("/", "/api/v1/stories/", "/healthz/", "/readyzz"):
        response = client.get(path)
        assert response.status_code == 301, path
        assert response["Location"] == f"https://testserver{path}"


def test_without_the_exemption_the_probes_would_redirect(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []
    assert Client().get("/healthz").status_code == 301
