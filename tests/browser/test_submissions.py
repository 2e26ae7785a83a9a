"""A story's way in, in a real browser: submit → tracking page → queue → review → published."""

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

DUPLICATE_URL = (
    "https://github.com/zalando-incubator/kubernetes-on-aws/blob/dev/docs/postmortems/"
    "jan-2019-dns-outage.md"
)
SUMMARY = (
    "During a **rolling deploy** the zebracorn cache doubled its DNS queries.\n\n"
    "- CoreDNS was OOM-killed\n- lookups timed out\n\n<script>alert(1)</script>"
)


@pytest.fixture
def quick_forms(settings: Any) -> None:
    settings.SUBMISSION_MIN_SECONDS = 1


@pytest.fixture
def moderator(catalogue: None) -> User:
    user = User.objects.create_user("mona", password="pw-mona-long-enough")
    # Transactional tests flush the groups that migrations made.
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return user


def no_serious_violations(page: Any) -> list[str]:
    problems = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in {"serious", "critical"}:
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{page.url}: {violation['id']} ({violation['impact']}) {targets}")
    return problems


def fill_story(page: Any) -> None:
    page.get_by_label("Title", exact=True).fill("Zebracorn cache melted CoreDNS during a deploy")
    page.get_by_label("Organization").fill("Zebracorn Inc")
    page.get_by_label("Date").fill("2023-06-14")
    first = page.locator("[data-source-row]").nth(0)
    first.get_by_label("URL").fill("https://blog.zebracorn.example/coredns-meltdown")
    first.get_by_label("Kind").select_option("postmortem")
    first.get_by_label("Title (optional)").fill("How our cache melted CoreDNS")
    second = page.locator("[data-source-row]").nth(1)
    second.get_by_label("URL").fill("https://talks.zebracorn.example/coredns")
    second.get_by_label("Kind").select_option("talk")

    # Only three source rows show at first; the button reveals the next one.
    rows = page.locator("[data-source-row]")
    assert rows.nth(3).is_hidden()
    page.get_by_role("button", name="Add another source").click()
    assert rows.nth(3).is_visible()
    expect(rows.nth(3).get_by_label("URL")).to_be_focused()

    # The component filter narrows sixty components down by name, slug and aliases.
    picker = page.get_by_label("Find a component")
    picker.fill("dns autoscaler")  # an alias of CoreDNS
    expect(page.locator("#component-filter-status")).to_have_text("1 component matches.")
    expect(page.get_by_label("kube-proxy", exact=True)).to_be_hidden()
    expect(page.locator("[data-component]:visible")).to_have_count(1)
    page.get_by_label("CoreDNS", exact=True).check()
    picker.fill("conntrack")
    page.get_by_label("conntrack", exact=True).check()
    # Ticked components stay visible whatever the filter says.
    assert page.get_by_label("CoreDNS", exact=True).is_visible()
    picker.fill("")

    page.get_by_role("group", name="Platforms").get_by_label("AWS", exact=True).check()
    page.get_by_role("group", name="Impact").get_by_label("Outage").check()
    page.get_by_label("Upstream issues (optional)").fill(
        "https://github.com/coredns/coredns/issues/1 — cache growth"
    )
    page.get_by_role("group", name="Mitigations (optional)").get_by_label(
        "NodeLocal DNSCache"
    ).first.check()
    page.get_by_label("Summary", exact=True).fill(SUMMARY)
    page.get_by_label("Note to the moderators (optional)").fill("Found it on a podcast.")
    page.get_by_label("Your email (optional)").fill("reporter@zebracorn.example")


def test_submit_review_approve_publish(page, live_server, moderator, quick_forms) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("link", name="Submit a story").click()
    page.wait_for_url(re.compile(r"/submit/$"))
    assert page.locator("h1").inner_text() == "Submit a story"
    fill_story(page)

    # The preview is the server's rendering, and it shows scripts as text.
    preview = page.locator("#summary-preview")
    preview.locator("strong", has_text="rolling deploy").wait_for()
    assert preview.locator("li").count() == 2
    assert "<script>alert(1)</script>" in preview.inner_text()
    assert preview.locator("script").count() == 0

    # A URL the catalogue knows already is pointed out while typing.
    third = page.locator("[data-source-row]").nth(2)
    third.get_by_label("URL").fill(DUPLICATE_URL)
    hint = page.locator("#duplicate-hints")
    hint.get_by_text("is already a source of").wait_for()
    assert hint.get_by_role("link", name="Total DNS outage in Kubernetes cluster").count() == 1
    assert (
        hint.get_by_role("link", name=re.compile("as an additional source for that story")).count()
        == 1
    )
    screenshot(page, "submit-form")

    # Sent with the duplicate, the form says so on that field and keeps everything typed.
    third.get_by_label("Kind").select_option("blog-post")
    page.get_by_role("button", name="Send for review").click()
    summary = page.locator("#error-summary")
    # The page's script moves focus once it runs, which may be after the summary shows.
    expect(summary).to_be_focused()
    assert "already a source of the story" in summary.inner_text()
    assert page.get_by_label("Organization").input_value() == "Zebracorn Inc"
    assert page.get_by_label("CoreDNS", exact=True).is_checked()
    screenshot(page, "submit-form-errors")
    # The page with errors is a 400, which Chromium logs; nothing else may be.
    assert page.console_errors == [  # type: ignore[attr-defined]
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.console_errors.clear()  # type: ignore[attr-defined]
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_sources-2-url")).to_be_focused()
    page.locator("#id_sources-2-url").fill("")
    page.locator("#id_sources-2-kind").select_option("")
    page.wait_for_timeout(1100)  # past SUBMISSION_MIN_SECONDS
    page.get_by_role("button", name="Send for review").click()
    # A redirect keeps the fragment of the error link followed above, hence no "$".
    page.wait_for_url(re.compile(r"/track/[\w-]+/"))
    tracking_url = page.url
    assert "Bookmark this page" in page.locator(".messages").inner_text()
    assert "Waiting for review" in page.locator(".facts").inner_text()
    assert page.locator(".payload-preview strong", has_text="rolling deploy").count() == 1
    screenshot(page, "tracking-page")
    assert page.console_errors == []

    # A moderator logs in, finds it in the queue and reviews it.
    moderation = page.context.browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    mod = moderation.new_page()
    mod.goto("/accounts/login/")
    mod.get_by_label("Username").fill("mona")
    mod.get_by_label("Password").fill("pw-mona-long-enough")
    mod.get_by_role("button", name="Log in").click()
    mod.wait_for_url(re.compile(r"/moderation/$"))
    assert "(1 pending)" in mod.locator(".site-header").inner_text()
    screenshot(mod, "moderation-queue")
    mod.get_by_role("link", name="Zebracorn cache melted CoreDNS during a deploy").click()
    mod.wait_for_url(re.compile(r"/moderation/\d+/$"))
    assert mod.locator(".payload-preview strong", has_text="rolling deploy").count() == 1
    assert mod.locator(".diff-add").count() > 5
    assert "Found it on a podcast." in mod.locator("main").inner_text()
    screenshot(mod, "review-page")
    approve = mod.locator("form", has=mod.get_by_role("button", name="Approve"))
    approve.get_by_label("Message to the submitter (optional)").fill("Thank you!")
    approve.get_by_role("button", name="Approve").click()
    mod.locator(".messages", has_text="Approved and published.").wait_for()

    # Published: on its page, in the list and in search.
    mod.locator(".facts").get_by_role("link", name=re.compile("Zebracorn")).click()
    assert mod.locator("h1").inner_text() == "Zebracorn cache melted CoreDNS during a deploy"
    story_url = mod.url
    moderation.close()

    page.goto("/stories/?q=zebracorn")
    assert page.locator(".story-card-title a").first.get_attribute("href") in story_url
    page.goto(tracking_url)
    assert "Thank you!" in page.locator(".moderator-message").inner_text()
    assert page.console_errors == []


def test_submit_and_review_pages_have_no_serious_axe_violations(
    browser, live_server, moderator, quick_forms
) -> None:  # type: ignore[no-untyped-def]
    from apps.submissions.services import submission_create

    submission = submission_create(
        payload={
            "title": "A story to review",
            "organization": "Example Corp",
            "date": "2021-03",
            "sources": [{"url": "https://blog.example.org/axe", "kind": "postmortem"}],
            "components": ["coredns"],
            "summary": "Some **Markdown**.",
        },
        flags=["The hidden field that people cannot see was filled in."],
    )
    problems = []
    for scheme in ["light", "dark"]:
        context = browser.new_context(
            base_url=live_server.url, color_scheme=scheme, bypass_csp=True
        )
        page = context.new_page()
        page.goto("/submit/")
        problems += no_serious_violations(page)
        page.get_by_role("button", name="Send for review").click()  # the page with errors
        page.locator("#error-summary").wait_for()
        problems += no_serious_violations(page)
        page.goto(submission.get_tracking_url())
        problems += no_serious_violations(page)
        page.goto("/accounts/login/")
        problems += no_serious_violations(page)
        page.get_by_label("Username").fill("mona")
        page.get_by_label("Password").fill("pw-mona-long-enough")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/moderation/$"))
        problems += no_serious_violations(page)
        page.goto(submission.get_review_url())
        problems += no_serious_violations(page)
        context.close()
    assert problems == []
