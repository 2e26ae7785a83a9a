"""/affected/ in Chromium: a paste is read, the results and the shareable link work, no
script error, and axe-core finds nothing serious."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.affected.test_pastes import NODES_WIDE
from tests.browser.conftest import catalogue, page, screenshot  # noqa: F401

pytestmark = pytest.mark.browser


def test_paste_then_share(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto("/affected/")
    page.fill("#paste", NODES_WIDE + "\netcd Version: 3.5.2\n")
    page.click("text=Read versions from the paste")
    page.wait_for_selector("#affected-results")
    text = page.inner_text("#affected-results")
    assert "etcd-io/etcd#13766" in text
    assert "Fixed in 3.5.3" in text
    share = page.get_attribute("#share-url", "href")
    assert share and "ip-10-22-168-211" not in share and "etcd=3.5.2" in share
    screenshot(page, "affected-results")
    page.goto(share)
    assert "etcd-io/etcd#13766" in page.inner_text("#affected-results")
    assert page.input_value("#v-etcd") == "3.5.2"
    assert page.console_errors == []


def test_no_serious_accessibility_violations(browser, live_server, catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    opened = context.new_page()
    opened.goto("/affected/?etcd=3.5.2&kubernetes=1.14.0")
    violations = [
        v["id"]
        for v in Axe().run(opened).response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    context.close()
    assert violations == []
