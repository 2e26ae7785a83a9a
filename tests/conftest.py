"""Shared fixtures.

Tests that need a service (PostgreSQL, Redis, Chromium) skip with a reason when it is
missing. With KFS_REQUIRE_SERVICES=1 (set by .ci/run) every skip becomes a failure, so
CI always exercises the real services.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.catalog.storyfiles.parsing import load_catalogue

REPO_FIXTURES = Path(settings.BASE_DIR) / "fixtures"
REQUIRE_SERVICES = os.environ.get("KFS_REQUIRE_SERVICES") == "1"
# Playwright's own browser download cannot work here: the Debian package (KFS_CHROMIUM overrides).
CHROMIUM = os.environ.get("KFS_CHROMIUM", "/usr/bin/chromium")
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but KFS_REQUIRE_SERVICES=1 forbids skips: {report.longrepr}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # Tests create many users; a slow hasher only costs time here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def generous_submission_limits(settings) -> None:  # type: ignore[no-untyped-def]
    """Submission rate limits no test of something else runs into."""
    settings.SUBMISSION_RATE_PER_IP = "1000/hour"
    settings.SUBMISSION_RATE_PER_USER = "1000/hour"


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


STORY_TEMPLATE = """---
title: CoreDNS OOM-killed by a burst of DNS queries
organization: Example Corp
date: 2019-01-15
sources:
  - url: https://example.org/postmortem
    kind: postmortem
components: [dns, coredns]
platforms: [aws]
impact: [outage]
upstream:
  - url: https://github.com/coredns/coredns/issues/1
    note: The cache grows without bound.
mitigations: [test-mitigation]
verified: source
---
What happened, in our own words.
"""

MITIGATION_TEMPLATE = """---
title: Test mitigation
components: [dns]
links:
  - url: https://kubernetes.io/docs/
    title: Docs
---
Do the thing.
"""


class FixtureTree:
    """A throw-away fixtures folder: the real taxonomy plus stories written by a test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(REPO_FIXTURES / "taxonomy", root / "taxonomy")
        (root / "stories").mkdir()
        (root / "mitigations").mkdir()
        self.mitigation("test-mitigation")

    def story(
        self,
        name: str = "2019-example-corp-coredns-oom.md",
        text: str = STORY_TEMPLATE,
        **replace: str,
    ) -> Path:
        for old, new in replace.items():
            assert old in text, f"{old!r} not in template"
            text = text.replace(old, new)
        path = self.root / "stories" / name
        path.write_text(text, encoding="utf-8")
        return path

    def mitigation(self, slug: str, text: str = MITIGATION_TEMPLATE) -> Path:
        path = self.root / "mitigations" / f"{slug}.md"
        path.write_text(text, encoding="utf-8")
        return path

    def load(self):  # type: ignore[no-untyped-def]
        return load_catalogue(self.root, base=self.root)


@pytest.fixture
def fixture_tree(tmp_path: Path, settings) -> FixtureTree:  # type: ignore[no-untyped-def]
    tree = FixtureTree(tmp_path / "fixtures")
    settings.STORIES_FIXTURES_DIR = tree.root
    return tree


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[[str], FixtureTree]:
    def make(name: str) -> FixtureTree:
        return FixtureTree(tmp_path / name)

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session: Playwright's sync API allows one per thread."""
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    # Playwright's sync API runs an event loop in this thread; the ORM calls that fixtures
    # make around it are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
