"""A reader's path through the site in a real browser."""

import re
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_search_from_the_home_page(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    screenshot(page, "home")
    hero = page.locator("form.hero-search")
    hero.get_by_label("Search stories").fill("throttled")
    hero.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/stories/\?q=throttled"))
    assert page.locator("h1").inner_text() == "Stories matching “throttled”"
    assert page.locator(".story-card mark").count() > 0
    assert page.locator(".sorts .current").inner_text() == "Best match"
    screenshot(page, "search")
    assert page.console_errors == []


def test_phrase_and_exclusion(page) -> None:  # type: ignore[no-untyped-def]
    page.goto('/stories/?q="ndots:5"')
    with_aws = int(page.locator("#result-count").inner_text().split()[0])
    page.goto('/stories/?q="ndots:5" -aws')
    without_aws = int(page.locator("#result-count").inner_text().split()[0])
    assert 0 < without_aws < with_aws


def test_filter_remove_chip_and_go_back(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/stories/")
    total = page.locator("#result-count").inner_text()
    page.locator(".facet a", has_text="etcd").first.click()
    page.wait_for_url(re.compile(r"component=etcd"))
    filtered = page.locator("#result-count").inner_text()
    assert filtered != total
    chip = page.locator(".chip", has_text="etcd")
    assert chip.count() == 1
    screenshot(page, "filtered")
    chip.click()
    page.wait_for_url(re.compile(r"/stories/\?$|/stories/$"))
    assert page.locator("#result-count").inner_text() == total
    page.go_back()
    page.wait_for_url(re.compile(r"component=etcd"))
    assert page.locator("#result-count").inner_text() == filtered


def test_paginate(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/stories/")
    first = page.locator(".story-card-title").first.inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator(".pagination [aria-current='page']").inner_text() == "2"
    assert page.locator(".story-card-title").first.inner_text() != first
    page.get_by_role("link", name="Page 1", exact=True).click()
    page.wait_for_url(re.compile(r"page=1"))
    assert page.locator(".story-card-title").first.inner_text() == first


def test_open_a_story_and_follow_a_mitigation(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/stories/?q=Total DNS outage")
    page.locator(".story-card-title a").first.click()
    assert page.locator("h1").inner_text() == "Total DNS outage in Kubernetes cluster"
    assert page.locator(".upstream li").count() >= 1
    screenshot(page, "story")
    link = page.locator(".mitigations a").first
    title = link.inner_text()
    link.click()
    assert page.locator("h1").inner_text() == title
    assert page.locator(".prose pre").count() >= 1
    screenshot(page, "mitigation")


def test_read_a_feed(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/stories/?component=etcd")
    href = page.locator("link[type='application/atom+xml'][title='Stories matching this page']")
    response = page.request.get(href.get_attribute("href"))
    assert response.ok
    root = ET.fromstring(response.body())
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert entries
    assert len(entries) == int(page.locator("#result-count").inner_text().split()[0])


def test_slash_focuses_search_and_csp_allows_our_script(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/stories/")
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    assert page.console_errors == []


def test_trends_and_phone_layout(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/trends/")
    assert page.locator("svg[role='img']").count() >= 3
    screenshot(page, "trends")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/stories/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page.locator("details.facets-panel").get_attribute("open") is None
    screenshot(page, "phone-list")
