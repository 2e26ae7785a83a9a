"""`make run`, the README's first command, serves the site as production does: its own
404 page, static files, and absolute links on the port it was given."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.pop("DEBUG", None)
    env.pop("SITE_URL", None)
    env.pop("SECRET_KEY", None)
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", STATIC_ROOT=str(tmp / "static"))
    process = subprocess.Popen(  # noqa: S603
        ["make", "--no-print-directory", "run", f"PORT={port}"],  # noqa: S607
        cwd=BASE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            try:
                if fetch(f"{root}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None:
                pytest.fail(f"make run exited with {process.returncode}")
            time.sleep(0.5)
        else:
            pytest.fail("make run did not serve within 240 s")
        yield root
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_a_wrong_address_gets_the_sites_own_404(served: str) -> None:
    status, page = fetch(f"{served}/stories/no-such-story/")
    assert status == 404
    assert "Not found — Kubernetes Failure Stories" in page
    assert "URLconf" not in page and "DEBUG = True" not in page


def test_links_and_static_files_follow_the_port(served: str) -> None:
    status, page = fetch(f"{served}/")
    assert status == 200
    assert f'<link rel="canonical" href="{served}/">' in page
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert stylesheet and fetch(served + stylesheet[1])[0] == 200
    _, feed = fetch(f"{served}/feeds/search.atom?q=etcd")
    assert f'href="{served}/feeds/search.atom?q=etcd" rel="self"' in feed
