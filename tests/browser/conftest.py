"""Real-browser tests: Playwright driving the Debian Chromium package, headless.

Playwright's own browser download cannot work here; we point it at /usr/bin/chromium
(KFS_CHROMIUM overrides). Without Chromium these tests skip, which fails under
KFS_REQUIRE_SERVICES=1. Screenshots land in test-artifacts/screenshots/ (git-ignored).
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
# here are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KFS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def catalogue(transactional_db: None) -> None:
    """The real catalogue from fixtures/, imported into the live server's database."""
    call_command("import_stories", verbosity=0)


@pytest.fixture
def page(browser, live_server, catalogue):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # Only the live server may be reached: anything else is a bug in the page.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    opened = context.new_page()
    opened.console_errors = []  # type: ignore[attr-defined]
    opened.on(
        "console",
        lambda message: message.type == "error" and opened.console_errors.append(message.text),  # type: ignore[attr-defined]
    )
    yield opened
    context.close()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
