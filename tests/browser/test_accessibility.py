"""axe-core on every page type: no serious or critical violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/stories/",
    "/stories/?q=throttled&component=cpu-throttling",
    "/stories/2019-zalando-total-dns-outage/",
    "/components/",
    "/components/etcd/",
    "/mitigations/",
    "/mitigations/node-local-dns-cache/",
    "/organizations/",
    "/organizations/zalando/",
    "/trends/",
    "/data/",
    "/does-not-exist/",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_violations(browser, live_server, catalogue, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    axe = Axe()
    problems = []
    for url in PAGES:
        page.goto(url)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in {"serious", "critical"}:
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{url}: {violation['id']} ({violation['impact']}) {targets}")
    context.close()
    assert problems == []
