"""Real-browser tests: the session's Chromium (tests/conftest.py `browser`) on a live server.

Screenshots land in test-artifacts/screenshots/ (git-ignored).
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


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
