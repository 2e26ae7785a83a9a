"""Every page type fits a 390 px phone screen: nothing wider than the viewport, so
nothing needs sideways scrolling (wide tables and code scroll inside their own box)."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "home": "/",
    "list": "/stories/",
    "search": "/stories/?q=etcdserver%3A+mvcc%3A+database+space+exceeded",
    "story": "/stories/2019-zalando-total-dns-outage/",
    "components": "/components/",
    "component": "/components/etcd/",
    "mitigations": "/mitigations/",
    "mitigation": "/mitigations/node-local-dns-cache/",
    "organizations": "/organizations/",
    "organization": "/organizations/zalando/",
    "trends": "/trends/",
    "api-guide": "/api/",
    "submit": "/submit/",
    "login": "/accounts/login/",
    "not-found": "/stories/no-such-story/",
    "no-such-page": "/stories/?page=999",
    "affected": "/affected/?kubernetes=1.24.1&etcd=3.5.2&linux-kernel=5.4.0",
    "open-data": "/data/",
    "api-token": "/accounts/token/",
}


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(PAGES[name])
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.width > 0 && (r.right > 390.5 || r.left < -0.5); })
            .filter(e => !e.closest(
                'pre, .table-scroll, .chart-frame, .skip-link, .visually-hidden, .hp'))
            .slice(0, 5)
            .map(e => e.tagName + '.' + e.className + ' '
                      + Math.round(e.getBoundingClientRect().right))"""
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"phone-{name}")
    assert width <= 390 and not too_wide, (width, too_wide)
