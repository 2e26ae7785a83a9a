"""The documented production settings (deploy/production.env) pass Django's deployment
checks with no warning, docker-compose.yml passes each of them through, and its health
check still succeeds under them (plain HTTP to the exempt probe, the site's host name)."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.linkcheck.conftest import manage, shared_database  # noqa: F401

BASE = Path(settings.BASE_DIR)
PRODUCTION_ENV = BASE / "deploy" / "production.env"


def production_env() -> dict[str, str]:
    values = {}
    for line in PRODUCTION_ENV.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture
def deploy_env(shared_database: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """The production settings with a generated key, on a migrated database (the schema
    check reads the public querysets), and nothing else from this process's environment
    (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, for one, fails the deploy check)."""
    inherited = {k: v for k, v in shared_database.items() if k in ("PATH", "HOME", "DATABASE_URL")}
    return {**inherited, **production_env(), "SECRET_KEY": secrets.token_urlsafe(50)}


def compose() -> dict[str, object]:
    return dict(yaml.safe_load((BASE / "docker-compose.yml").read_text(encoding="utf-8")))


def test_the_deploy_check_passes_with_no_warning(deploy_env: dict[str, str]) -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=deploy_env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_the_deploy_check_would_catch_a_weaker_setting(deploy_env: dict[str, str]) -> None:
    weaker = {**deploy_env, "SECURE_HSTS_PRELOAD": "false", "SECURE_HSTS_INCLUDE_SUBDOMAINS": ""}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=weaker)
    assert result.returncode != 0
    assert "security.W005" in result.stderr and "security.W021" in result.stderr


def test_preload_without_a_years_hsts_stops_start_up(deploy_env: dict[str, str]) -> None:
    result = manage("check", env={**deploy_env, "SECURE_HSTS_SECONDS": "3600"})
    assert result.returncode != 0
    assert "SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS" in result.stderr


def test_compose_passes_every_production_setting_through() -> None:
    environment = compose()["x-app"]["environment"]  # type: ignore[index]
    for name, value in production_env().items():
        assert name in environment, f"docker-compose.yml does not pass {name} to the app"
        given = str(environment[name])
        assert given == value or given.startswith(f"${{{name}:"), (name, given)


@pytest.fixture
def production_server(deploy_env: dict[str, str]) -> Iterator[int]:
    """gunicorn, as in docker-compose.yml, under the production settings."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--error-logfile", os.devnull],
        cwd=BASE, env=deploy_env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=20)


def test_compose_health_check_passes_under_the_production_settings(
    production_server: int,
) -> None:
    web = compose()["services"]["web"]  # type: ignore[index]
    command = web["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    code = command[3].replace("127.0.0.1:8000", f"127.0.0.1:{production_server}")
    probe = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={"SITE_URL": production_env()["SITE_URL"]},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr


def test_production_redirects_pages_to_https_but_not_the_probes(production_server: int) -> None:
    host = production_env()["ALLOWED_HOSTS"].split(",")[0]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def get(path: str, **headers: str) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{production_server}{path}", headers={"Host": host, **headers}
        )
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    for probe in ("/healthz", "/readyz"):
        assert get(probe)[0] == 200
    status, headers = get("/api/v1/stories/")
    assert status == 301 and headers["Location"] == f"https://{host}/api/v1/stories/"
    status, headers = get("/healthz", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
