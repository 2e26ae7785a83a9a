import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE = Path(settings.BASE_DIR)


def manage(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database other processes can open: a SQLite file, or a new PostgreSQL database
    when the suite runs on PostgreSQL. Yields the environment to start them with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PYTEST"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    drop = None
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.settings_dict
        name = f"kfs_shared_{uuid.uuid4().hex[:8]}"
        host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
        admin_url = f"postgresql://{params['USER']}@{host}:{port}/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{name}"

        def drop() -> None:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    result = manage("migrate", "--no-input", "-v0", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    yield env
    if drop:
        drop()


class _Page(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_site() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering 200 to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
